import { chmodSync, constants, copyFileSync, lchownSync, lstatSync, lutimesSync, mkdirSync, readlinkSync, symlinkSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { withContext } from '../base/errors.ts';

const isRoot = process.getuid?.() === 0;

/** Owner, then mode (chown clears setuid bits), then times: the copy carries the host's metadata. */
function applyMeta(target: string, stat: Stats): void {
  if (isRoot) lchownSync(target, stat.uid, stat.gid);
  if (!stat.isSymbolicLink()) chmodSync(target, stat.mode & 0o7777);
  lutimesSync(target, stat.atime, stat.mtime);
}

/**
 * Copies host paths into root, each under the same path. Parents are created as real directories with the host's
 * modes and owners; directory times are set last (adding entries changes them). Returns what had to be skipped.
 */
export function copyPaths(root: string, paths: string[]): { skipped: string[] } {
  const made = new Map<string, Stats>();
  const skipped: string[] = [];
  const ensureDir = (path: string): void => {
    if (path === '/' || made.has(path)) return;
    ensureDir(dirname(path));
    const stat = lstatSync(path);
    const target = join(root, path);
    try {
      mkdirSync(target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !lstatSync(target).isDirectory()) throw error;
    }
    applyMeta(target, stat);
    made.set(path, stat);
  };
  for (const path of paths) {
    try {
      copyOne(path);
    } catch (error) {
      throw withContext(`copying ${path}`, error);
    }
  }
  for (const [path, stat] of [...made].reverse()) lutimesSync(join(root, path), stat.atime, stat.mtime);
  return { skipped };

  function copyOne(path: string): void {
    const stat = lstatSync(path);
    ensureDir(dirname(path));
    const target = join(root, path);
    if (stat.isDirectory()) {
      ensureDir(path);
      return;
    }
    if (stat.isSymbolicLink()) symlinkSync(readlinkSync(path), target);
    else if (stat.isFile()) copyFileSync(path, target, constants.COPYFILE_FICLONE);
    else {
      skipped.push(path); // devices, fifos, sockets: /dev is mounted by runch, the rest is runtime state
      return;
    }
    applyMeta(target, stat);
  }
}
