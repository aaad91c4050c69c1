import { read } from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';

const readAt = promisify(read);

/**
 * An open file's bytes from `start`, as a stream that never closes the descriptor. Why not createReadStream({fd,
 * autoClose: false}): a pipeline that fails destroys its source, and destroying an fs stream closes its fd anyway,
 * so the caller's own close then failed with EBADF, and that EBADF hid the real reason (a corrupt gzip, a full
 * disk). The caller opened the fd and the caller closes it.
 */
export function fdReadable(fd: number, start = 0, chunkSize = 1 << 20): Readable {
  let position = start;
  return new Readable({
    async read() {
      try {
        const buffer = Buffer.allocUnsafe(chunkSize);
        const { bytesRead } = await readAt(fd, buffer, 0, chunkSize, position);
        position += bytesRead;
        this.push(bytesRead > 0 ? buffer.subarray(0, bytesRead) : null);
      } catch (error) {
        this.destroy(error as Error);
      }
    },
  });
}
