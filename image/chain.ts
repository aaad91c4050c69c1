import { lstatSync, readlinkSync } from 'node:fs';
import { VzError } from '../base/errors.ts';

const MAX_LINKS = 40; // the kernel's own limit (MAXSYMLINKS)

/**
 * Every host path needed for `path` to resolve the same way inside a copy: each symlink met on the way (in any
 * component, e.g. /lib64 -> usr/lib64 on merged-/usr systems) and the final file, resolved the way the kernel does.
 * Each returned path has a parent that is a real directory, so copying them never writes through a symlink.
 * Returns undefined when the path does not exist (or is not reachable) on the host. With root, the same inside a
 * tree whose absolute symlinks start again at root, as chroot sees them (paths returned relative to root).
 */
export function symlinkChain(path: string, root = ''): string[] | undefined {
  const out: string[] = [];
  let pending = parts(path);
  let current = '';
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      current = current.slice(0, current.lastIndexOf('/'));
      continue;
    }
    const next = `${current}/${part}`;
    let stat;
    try {
      stat = lstatSync(root + next);
    } catch {
      return undefined;
    }
    if (stat.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw new VzError('invalid-config', `${path}: too many levels of symbolic links (a loop?)`);
      out.push(next);
      const target = readlinkSync(root + next);
      if (target.startsWith('/')) current = '';
      pending = [...parts(target), ...pending];
    } else if (pending.length > 0 && !stat.isDirectory()) {
      return undefined;
    } else {
      current = next;
    }
  }
  if (current !== '') out.push(current);
  return out;
}

function parts(path: string): string[] {
  return path.split('/').filter((p) => p !== '');
}
