import { createHash } from 'node:crypto';
import { VzError } from '../base/errors.ts';
import { fdReadable } from './fd-stream.ts';

/** sha256 of an open file, read from the start (the fd stays open: unpack reads the same file it checked). */
export async function sha256OfFd(fd: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fdReadable(fd)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

export function checkDigestFormat(digest: string): string {
  const value = digest.startsWith('sha256:') ? digest : `sha256:${digest}`;
  if (!/^sha256:[0-9a-f]{64}$/.test(value)) throw new VzError('usage', `digest "${digest}" must be sha256: followed by 64 lower-case hex digits`);
  return value;
}
