import { closeSync, openSync, readSync } from 'node:fs';

/** A file's first 256 bytes (where a #! line lives), or undefined when it cannot be opened. */
function readHead(path: string): Buffer | undefined {
  const head = Buffer.alloc(256);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    return head.subarray(0, readSync(fd, head, 0, head.length, 0));
  } finally {
    closeSync(fd);
  }
}

/** The interpreter named on a script's #! line (as the kernel reads it: the first word), or undefined. */
export function readShebang(path: string): string | undefined {
  const head = readHead(path);
  return head && parseShebang(head);
}

export function parseShebang(head: Buffer): string | undefined {
  return parseShebangLine(head)?.interp;
}

/** The #! line's interpreter and its one optional argument (the kernel passes the rest of the line as one word). */
export function parseShebangLine(head: Buffer): { interp: string; arg?: string } | undefined {
  if (head[0] !== 0x23 || head[1] !== 0x21) return undefined;
  const line = head.toString('latin1', 2).split('\n')[0].trim();
  const [interp, ...rest] = line.split(/[ \t]+/);
  if (!interp?.startsWith('/')) return undefined;
  return { interp, arg: rest.length > 0 ? rest.join(' ') : undefined };
}

/** `#!/usr/bin/env NAME`: the program env will look up in PATH (env's own options, such as -S, are not followed). */
export function envTarget(path: string): string | undefined {
  const head = readHead(path);
  const line = head && parseShebangLine(head);
  if (!line || !/\/env$/.test(line.interp) || line.arg === undefined || line.arg.startsWith('-')) return undefined;
  return line.arg.split(/[ \t]+/)[0];
}
