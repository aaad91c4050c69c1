import type { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import { execa } from 'execa';
import { VzError } from '../base/errors.ts';
import { findProgram } from './which.ts';

export type Compression = 'gzip' | 'zstd' | 'none';
export const COMPRESSIONS: Compression[] = ['gzip', 'zstd', 'none'];
export const EXTENSIONS: Record<Compression, string> = { gzip: '.tar.gz', zstd: '.tar.zst', none: '.tar' };

/** zstd exists in Node's zlib from 22.15 / 23.8 on; older Nodes get a clear refusal, never a silent fallback. */
export function hasZstd(): boolean {
  return typeof (zlib as { createZstdCompress?: unknown }).createZstdCompress === 'function';
}

function needZstd(): void {
  if (!hasZstd()) throw new VzError('system', `zstd needs Node >= 22.15 (this is ${process.version}): upgrade Node or use --compress gzip`);
}

/** The system's zstd (Debian's zstd package), or undefined when PATH has none. */
function systemZstd(): string | undefined {
  try {
    return findProgram('zstd');
  } catch {
    return undefined;
  }
}

/** Refuses a compression this machine cannot do, before any file is written or process started. */
export function checkCompression(kind: Compression): void {
  if (kind === 'zstd' && systemZstd() === undefined) needZstd();
}

/** A child process as a stream: bytes in on its stdin, out of its stdout; a non-zero exit is the stream's error. */
function filter(program: string, args: string[]): Duplex {
  return execa(program, args, { buffer: false, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' }).duplex();
}

/**
 * gzip at level 6 (gzip's and GNU tar's default) by Node's zlib, whose gzip header has no time (and which runs
 * faster than gzip(1) here). zstd at level 3 (zstd's default) by the system's zstd when there is one: a process
 * of its own compresses while this one reads the tree (on 2 CPUs a 130 MiB tree packs in about 0.6 s against
 * 0.9-1.2 s with Node's zstd in the thread pool), and its output does not depend on how the input was chunked.
 * Node's zstd is the fallback; the two write different (both valid) frames, so a zstd image's digest depends on
 * which one made it, as it already depends on the zstd version.
 */
export function compressor(kind: Compression): Duplex | undefined {
  if (kind === 'gzip') return zlib.createGzip({ level: 6 });
  if (kind === 'zstd') {
    const zstd = systemZstd();
    if (zstd) return filter(zstd, ['-3', '-q', '-c', '--no-progress']);
    needZstd();
    return zlib.createZstdCompress();
  }
  return undefined;
}

/** Pure: the compression an archive uses, from its first bytes (magic numbers), whatever its name says. */
export function sniff(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/** gunzip by Node's zlib; zstd by the system's zstd when there is one (a process of its own), else Node's. */
export function decompressor(kind: Compression): Duplex | undefined {
  if (kind === 'gzip') return zlib.createGunzip();
  if (kind === 'zstd') {
    const zstd = systemZstd();
    if (zstd) return filter(zstd, ['-d', '-q', '-c', '--no-progress']);
    needZstd();
    return zlib.createZstdDecompress();
  }
  return undefined;
}
