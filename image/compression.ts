import type { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { VzError } from '../base/errors.ts';

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

/** gzip at level 6 (gzip's and GNU tar's default), zstd at level 3 (zstd's default); zlib's gzip header has no time. */
export function compressor(kind: Compression): Transform | undefined {
  if (kind === 'gzip') return zlib.createGzip({ level: 6 });
  if (kind === 'zstd') {
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

export function decompressor(kind: Compression): Transform | undefined {
  if (kind === 'gzip') return zlib.createGunzip();
  if (kind === 'zstd') {
    needZstd();
    return zlib.createZstdDecompress();
  }
  return undefined;
}
