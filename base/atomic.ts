import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let sequence = 0;

/**
 * Why hand-written: write-file-atomic loads crypto, worker_threads and streams on require, ~15 ms on every runch
 * start, for the same four steps: temp file beside the target, write, fsync, rename. A crash or a full disk
 * mid-write leaves the previous file intact; the temp file is removed on failure.
 */
export function writeAtomicSync(path: string, data: string | Buffer, mode = 0o644): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${sequence++}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', mode);
    const buffer = typeof data === 'string' ? Buffer.from(data) : data;
    let written = 0;
    while (written < buffer.length) written += writeSync(fd, buffer, written, buffer.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
}

export async function writeAtomic(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
  writeAtomicSync(path, data, mode);
}
