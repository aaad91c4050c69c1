import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { VzError } from '../../base/errors.ts';
import { decompressor, sniff, type Compression } from '../compression.ts';
import { chunkRanges } from './chunks.ts';
import { type DeltaHeader, type DeltaOp, DELTA_MAGIC, encodeDelta } from './format.ts';
import { tarMembers } from './members.ts';

/** A packed image's name: <sha256 of the file>.tar[.gz|.zst]. */
export const IMAGE_NAME = /^([0-9a-f]{64})\.tar(\.gz|\.zst)?$/;
/** Files at least this large that changed are matched chunk by chunk (chunks.ts); smaller ones go whole. */
export const CHUNKED_FROM = 64 << 10;

const COMPRESSION_OF: Record<string, Compression> = { '': 'none', '.gz': 'gzip', '.zst': 'zstd' };

export function imageNameParts(file: string): { hex: string; compression: Compression } {
  const match = IMAGE_NAME.exec(basename(file));
  if (!match) throw new VzError('usage', `image "${file}" is not named <sha256>.tar[.gz|.zst]: make it with "vzimage pack"`);
  return { hex: match[1], compression: COMPRESSION_OF[match[2] ?? ''] };
}

/** An image file read whole, its sha256 checked against its name: the one check of an image the master makes. */
export function readCheckedImage(file: string): { hex: string; packed: Buffer } {
  const { hex } = imageNameParts(file);
  let packed: Buffer;
  try {
    packed = readFileSync(file);
  } catch {
    throw new VzError('not-found', `image "${file}" cannot be read: check the path`);
  }
  const actual = createHash('sha256').update(packed).digest('hex');
  if (actual !== hex) throw new VzError('invalid-config', `image "${file}" is corrupt: its sha256 is ${actual}, its name says ${hex}`);
  return { hex, packed };
}

/** An image's uncompressed tar in memory, its file's sha256 checked against its name on the way. */
export async function readImageTar(file: string): Promise<Buffer> {
  const { packed } = readCheckedImage(file);
  const stream = decompressor(sniff(packed.subarray(0, 4)));
  if (!stream) return packed;
  const parts: Buffer[] = [];
  await pipeline(createReadStream(file), stream, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) parts.push(chunk);
  });
  return Buffer.concat(parts);
}

const key = (data: Buffer, start: number, length: number): string => `${createHash('sha256').update(data.subarray(start, start + length)).digest('base64')}:${length}`;

/** The op list being written: adjacent base ranges and adjacent literals merge, so a run of unchanged files is one op. */
class Ops {
  readonly ops: DeltaOp[] = [];
  readonly literals: Buffer[] = [];
  literalBytes = 0;
  base(offset: number, length: number): void {
    const last = this.ops.at(-1);
    if (last && last[0] === 'b' && last[1] + last[2] === offset) last[2] += length;
    else this.ops.push(['b', offset, length]);
  }
  literal(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const last = this.ops.at(-1);
    if (last && last[0] === 'l') last[1] += bytes.length;
    else this.ops.push(['l', bytes.length]);
    this.literals.push(bytes);
    this.literalBytes += bytes.length;
  }
}

export interface DeltaStats {
  /** Bytes of the target's tar taken from the base, and sent as literals (before the delta's gzip). */
  copied: number;
  literal: number;
}

/**
 * The delta from the base image's tar to the target's (both packed images, named by digest): members equal to a
 * base member (header and data) are a base range; a changed header with unchanged data sends the header only; the
 * data of a changed file of 64 KiB or more goes chunk by chunk, each chunk found anywhere in the base's large files
 * a base range; the rest is literal. Pure over the two tars.
 */
export function deltaOfTars(baseTar: Buffer, targetTar: Buffer, names: { base: string; target: string; compression: Compression }): { header: DeltaHeader; literals: Buffer[]; stats: DeltaStats } {
  const wholes = new Map<string, number>();
  const datas = new Map<string, number>();
  const chunks = new Map<string, number>();
  for (const m of tarMembers(baseTar)) {
    wholes.set(key(baseTar, m.offset, m.length), m.offset);
    if (m.length > 512) datas.set(key(baseTar, m.offset + 512, m.length - 512), m.offset + 512);
    if (m.size >= CHUNKED_FROM) for (const [at, len] of chunkRanges(baseTar, m.offset + 512, m.offset + 512 + m.size)) chunks.set(key(baseTar, at, len), at);
  }
  const ops = new Ops();
  for (const m of tarMembers(targetTar)) {
    const whole = wholes.get(key(targetTar, m.offset, m.length));
    if (whole !== undefined) {
      ops.base(whole, m.length);
      continue;
    }
    ops.literal(targetTar.subarray(m.offset, m.offset + Math.min(512, m.length)));
    if (m.length <= 512) continue;
    const dataAt = m.offset + 512;
    const data = datas.get(key(targetTar, dataAt, m.length - 512));
    if (data !== undefined) {
      ops.base(data, m.length - 512);
      continue;
    }
    if (m.size >= CHUNKED_FROM) {
      for (const [at, len] of chunkRanges(targetTar, dataAt, dataAt + m.size)) {
        const found = chunks.get(key(targetTar, at, len));
        if (found !== undefined) ops.base(found, len);
        else ops.literal(targetTar.subarray(at, at + len));
      }
      ops.literal(targetTar.subarray(dataAt + m.size, m.offset + m.length)); // the padding
    } else ops.literal(targetTar.subarray(dataAt, m.offset + m.length));
  }
  const header: DeltaHeader = {
    magic: DELTA_MAGIC,
    base: names.base,
    baseTarSize: baseTar.length,
    target: names.target,
    targetTar: createHash('sha256').update(targetTar).digest('hex'),
    targetTarSize: targetTar.length,
    compression: names.compression,
    ops: ops.ops,
  };
  return { header, literals: ops.literals, stats: { copied: targetTar.length - ops.literalBytes, literal: ops.literalBytes } };
}

/** The delta file's bytes from a base image to a target image (both files, named by their sha256, checked). */
export async function makeDelta(baseImage: string, targetImage: string): Promise<{ data: Buffer; header: DeltaHeader; stats: DeltaStats }> {
  const base = imageNameParts(baseImage);
  const target = imageNameParts(targetImage);
  const [baseTar, targetTar] = [await readImageTar(baseImage), await readImageTar(targetImage)];
  const { header, literals, stats } = deltaOfTars(baseTar, targetTar, { base: base.hex, target: target.hex, compression: target.compression });
  return { data: encodeDelta(header, literals), header, stats };
}

/** A delta file's name: the target's name with the base's first 16 hex digits, so two bases never collide. */
export function deltaName(baseImage: string, targetImage: string): string {
  return `${imageNameParts(targetImage).hex}.from-${imageNameParts(baseImage).hex.slice(0, 16)}.vzdelta`;
}
export const DELTA_NAME = /^[0-9a-f]{64}\.from-[0-9a-f]{16}\.vzdelta$/;
