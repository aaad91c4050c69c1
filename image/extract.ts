import { createHash, type Hash } from 'node:crypto';
import { chmodSync, fstatSync, lchownSync, lstatSync, lutimesSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Duplex, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import * as tar from 'tar';
import { VzError } from '../base/errors.ts';
import { decompressor, sniff } from './compression.ts';
import { sha256OfFd } from './digest.ts';
import { EntryChecker } from './entry-check.ts';
import { fdReadable } from './fd-stream.ts';
import { syncExtractor } from './extract-sync.ts';
import { progress } from './progress.ts';
import { stage } from './stage.ts';

interface Meta {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  devmaj: number;
  devmin: number;
  mtime?: Date;
}

/** The archive's bytes from the start of an open file, decompressed by what its magic says. */
async function readArchive(fd: number, sink: Writable, onBytes?: (n: number) => void, hash?: Hash): Promise<void> {
  const head = Buffer.alloc(8);
  readSync(fd, head, 0, 8, 0);
  const source = fdReadable(fd);
  if (onBytes || hash)
    source.on('data', (chunk: Buffer) => {
      onBytes?.(chunk.length);
      hash?.update(chunk);
    });
  const unzip: Duplex | undefined = decompressor(sniff(head));
  await (unzip ? pipeline(source, unzip, sink) : pipeline(source, sink));
}

/** What the image's bytes must hash to, and the refusal when they do not. */
export interface Expected {
  digest: string;
  corrupt: (actual: string) => VzError;
}

/**
 * Pass 1: every header through the checker before anything is written; the same read hashes the file when a digest
 * is expected (one read less than a separate sha256 pass), and a mismatch is refused before anything else: a
 * corrupt image is called corrupt, whatever its damaged bytes made of the headers. Returns each entry's metadata.
 */
async function checkAll(fd: number, label: string, expected?: Expected): Promise<Meta[]> {
  const checker = new EntryChecker();
  const entries: Meta[] = [];
  let refused: unknown;
  const parser = new tar.Parser({
    strict: true,
    onReadEntry: (entry) => {
      try {
        if (refused === undefined) {
          const path = checker.check({ path: entry.path, type: entry.type, linkpath: entry.linkpath });
          const h = entry.header;
          entries.push({ path, type: entry.type, mode: entry.mode ?? 0, uid: entry.uid ?? 0, gid: entry.gid ?? 0, devmaj: h?.devmaj ?? 0, devmin: h?.devmin ?? 0, mtime: entry.mtime });
        }
      } catch (error) {
        refused = error;
      }
      entry.resume();
    },
  });
  const hash = expected ? createHash('sha256') : undefined;
  try {
    await readArchive(fd, parser as unknown as Writable, undefined, hash);
  } catch (error) {
    // the read stopped early: the digest of the whole file says whether the image is damaged
    if (expected) {
      const actual = await sha256OfFd(fd);
      if (actual !== expected.digest) throw expected.corrupt(actual);
    }
    throw new VzError('invalid-config', `${label} is not a readable tar archive (${(error as Error).message.split('\n')[0]}): it is damaged or not a tarball`);
  }
  if (expected && hash) {
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== expected.digest) throw expected.corrupt(actual);
  }
  if (refused !== undefined) throw refused;
  if (entries.length === 0) throw new VzError('invalid-config', `${label} holds no entries: it is empty or not a tarball`);
  return entries;
}

/**
 * An archive into a new directory, safely: pass 1 checks every entry (EntryChecker), pass 2 extracts into a temp
 * directory beside the target with the same checks again on the bytes actually read (extract-sync.ts), directory
 * modes, device nodes and directory and symlink times are set last, then the directory is renamed into place.
 */
export async function extractArchive(fd: number, target: string, label: string, expected?: Expected): Promise<{ entries: number }> {
  const entries = await checkAll(fd, label, expected);
  const isRoot = process.getuid?.() === 0;
  let changed: unknown;
  await stage(target, async (tmp) => {
    const bar = progress(`unpacking ${label}`, fstatSync(fd).size);
    const unpack = syncExtractor(tmp, isRoot, (error) => (changed ??= error));
    const failure = (error: unknown): Error => {
      if (error instanceof VzError) return error; // a refused entry: already one line
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC')
        return new VzError('system', `extracting ${label}: the disk is full (no space left on device): free space under ${dirname(target)} and try again`, { cause: error });
      return new VzError('system', `extracting ${label}: ${(error as Error).message.split('\n')[0]}`, { cause: error });
    };
    try {
      await readArchive(fd, unpack as unknown as Writable, bar.add);
    } catch (error) {
      throw failure(changed ?? error);
    }
    bar.done();
    if (changed !== undefined) throw failure(changed);
    const umask = process.umask();
    for (const meta of entries) await finish(tmp, meta, isRoot, umask);
    // times last, deepest first: creating an entry changes its directory's mtime; files got theirs when written
    for (const meta of [...entries].reverse())
      if (meta.mtime && (meta.type === 'Directory' || meta.type === 'SymbolicLink')) lutimesSync(join(tmp, meta.path), meta.mtime, meta.mtime);
  });
  return { entries: entries.length };
}

/**
 * Exact modes where node-tar's may differ (bits the umask removed, setuid/setgid cleared by its chown), and device
 * nodes, which node-tar cannot make.
 */
async function finish(root: string, meta: Meta, isRoot: boolean, umask: number): Promise<void> {
  const path = join(root, meta.path);
  if (meta.type === 'CharacterDevice' || meta.type === 'BlockDevice' || meta.type === 'FIFO') {
    const kind = meta.type === 'FIFO' ? ['p'] : [meta.type === 'CharacterDevice' ? 'c' : 'b', String(meta.devmaj), String(meta.devmin)];
    await execa('mknod', ['-m', (meta.mode & 0o7777).toString(8), '--', path, ...kind]);
    if (isRoot) lchownSync(path, meta.uid, meta.gid);
    return;
  }
  if (meta.type === 'Directory') return void chmodSync(path, meta.mode & 0o7777);
  if (meta.type === 'SymbolicLink' || meta.type === 'Link' || (meta.mode & (0o7000 | umask)) === 0) return;
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (stat && !stat.isSymbolicLink() && (stat.mode & 0o7777) !== (meta.mode & 0o7777)) chmodSync(path, meta.mode & 0o7777);
}
