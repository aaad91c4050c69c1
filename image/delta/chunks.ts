import { createHash } from 'node:crypto';

/**
 * Content-defined chunking (a gear hash, as FastCDC uses): a cut falls where the rolling hash's low bits are zero,
 * so an edit moves only the cuts near it and the chunks elsewhere in a large file keep their digests. Sizes: at
 * least 2 KiB, about 8 KiB on average, at most 64 KiB.
 */
export const CHUNK = { min: 2 << 10, mask: (1 << 13) - 1, max: 64 << 10 };

/** The gear table from a fixed seed: both sides must cut alike (a changed table only costs a larger delta). */
const GEAR = (() => {
  const table = new Uint32Array(256);
  let seed = createHash('sha256').update('vz gear').digest();
  for (let i = 0; i < 256; i++) {
    if (i % 8 === 0) seed = createHash('sha256').update(seed).digest();
    table[i] = seed.readUInt32LE((i % 8) * 4);
  }
  return table;
})();

/** Chunk boundaries of data[start, end) as [offset, length] pairs. */
export function chunkRanges(data: Buffer, start: number, end: number): [number, number][] {
  const out: [number, number][] = [];
  let at = start;
  while (at < end) {
    const limit = Math.min(end, at + CHUNK.max);
    let cut = limit;
    let hash = 0;
    for (let i = at + CHUNK.min; i < limit; i++) {
      hash = ((hash << 1) + GEAR[data[i]]) >>> 0;
      if ((hash & CHUNK.mask) === 0) {
        cut = i + 1;
        break;
      }
    }
    out.push([at, cut - at]);
    at = cut;
  }
  return out;
}
