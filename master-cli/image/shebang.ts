import { closeSync, openSync, readSync } from 'node:fs';

/** The interpreter named on a script's #! line (as the kernel reads it: the first word), or undefined. */
export function readShebang(path: string): string | undefined {
  const head = Buffer.alloc(256);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const n = readSync(fd, head, 0, head.length, 0);
    return parseShebang(head.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

export function parseShebang(head: Buffer): string | undefined {
  if (head[0] !== 0x23 || head[1] !== 0x21) return undefined;
  const line = head.toString('latin1', 2).split('\n')[0];
  const interp = line.trim().split(/[ \t]+/)[0];
  return interp?.startsWith('/') ? interp : undefined;
}
