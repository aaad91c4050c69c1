import { closeSync, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, mkdirSync, openSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tar from 'tar';
import { EntryChecker } from './entry-check.ts';

const FILES = new Set(['File', 'OldFile', 'ContiguousFile']);

/** Whatever is at path goes first (never written through: a symlink there is replaced, not followed). */
function clear(path: string): void {
  const there = lstatSync(path, { throwIfNoEntry: false });
  if (there && !(there.isDirectory() && !there.isSymbolicLink())) rmSync(path, { force: true });
}

/**
 * A tar parser that writes each checked entry at once with synchronous calls: regular files (owner when root, then
 * the exact mode, setuid included, then the mtime), directories, symlinks, hard links. Why not node-tar's Unpack:
 * it sends every open, write, chmod, chown and utimes of every file through libuv's thread pool, and on a machine
 * where a syscall is slow (a sandbox, many small files) that hopping was most of vzimage unpack's time. Device
 * nodes and fifos are left to the caller (mknod); directory modes and times too (children change them).
 * `fail` receives the first error (a refused entry, a failed write); later entries are then skipped.
 */
export function syncExtractor(root: string, isRoot: boolean, fail: (error: unknown) => void): tar.Parser {
  const checker = new EntryChecker();
  let failed = false;
  const stop = (error: unknown) => {
    if (!failed) fail(error);
    failed = true;
  };
  return new tar.Parser({
    strict: true,
    onReadEntry: (entry) => {
      if (failed) return void entry.resume();
      let rel: string;
      try {
        rel = checker.check({ path: entry.path, type: entry.type, linkpath: entry.linkpath });
      } catch (error) {
        stop(error);
        return void entry.resume();
      }
      const path = join(root, rel);
      try {
        if (rel !== '') mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
        if (entry.type === 'Directory') {
          if (rel !== '' && !lstatSync(path, { throwIfNoEntry: false })?.isDirectory()) {
            clear(path);
            mkdirSync(path, { mode: 0o700 });
          }
          if (isRoot) lchownSync(path, entry.uid ?? 0, entry.gid ?? 0);
          return void entry.resume();
        }
        clear(path);
        if (entry.type === 'SymbolicLink') {
          symlinkSync(entry.linkpath ?? '', path);
          if (isRoot) lchownSync(path, entry.uid ?? 0, entry.gid ?? 0);
          return void entry.resume();
        }
        if (entry.type === 'Link') {
          const target = (entry.linkpath ?? '').split('/').filter((p) => p !== '' && p !== '.').join('/');
          linkSync(join(root, target), path);
          return void entry.resume();
        }
        if (!FILES.has(entry.type)) return void entry.resume(); // devices and fifos: made by the caller
        const fd = openSync(path, 'wx', 0o600);
        entry.on('data', (chunk: Buffer) => {
          try {
            for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
          } catch (error) {
            stop(error);
          }
        });
        entry.on('end', () => {
          try {
            if (isRoot) fchownSync(fd, entry.uid ?? 0, entry.gid ?? 0);
            fchmodSync(fd, (entry.mode ?? 0o644) & 0o7777);
            if (entry.mtime) futimesSync(fd, entry.mtime, entry.mtime);
          } catch (error) {
            stop(error);
          } finally {
            closeSync(fd);
          }
        });
      } catch (error) {
        stop(error);
        entry.resume();
      }
    },
  });
}
