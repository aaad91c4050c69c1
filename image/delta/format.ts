import { gunzipSync, gzipSync } from 'node:zlib';
import * as z from 'zod';
import { VzError } from '../../base/errors.ts';

/**
 * A delta file (.vzdelta): gzip of [u32 BE header length][header JSON][literal bytes]. The header names the base and
 * the target by the sha256 of their packed files, and lists the target's uncompressed tar as ops: a range of the
 * base's tar, or the next bytes of the literals. Everything here is checked before a byte of the target is written.
 */
export const DELTA_MAGIC = 'vzdelta1';
/** Caps that keep a hostile delta from making the host allocate or write without bound. */
export const DELTA_LIMITS = { header: 64 << 20, literals: 1 << 30, target: 64 * 2 ** 30, ops: 4_000_000 };

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256: 64 lower-case hex digits');
const length = z.number().int().min(1).max(DELTA_LIMITS.target);
/** ["b", offset in the base's tar, length] or ["l", length] (the literals are consumed in order). */
const opSchema = z.union([z.tuple([z.literal('b'), z.number().int().min(0).max(DELTA_LIMITS.target), length]), z.tuple([z.literal('l'), length])]);
export type DeltaOp = z.infer<typeof opSchema>;

export const deltaHeaderSchema = z
  .object({
    magic: z.literal(DELTA_MAGIC),
    /** sha256 of the base's packed file (its name on the host) and of its uncompressed tar. */
    base: hex64,
    baseTarSize: z.number().int().min(0).max(DELTA_LIMITS.target),
    /** sha256 of the target's packed file (what the host checks last) and of its tar (checked first). */
    target: hex64,
    targetTar: hex64,
    targetTarSize: z.number().int().min(0).max(DELTA_LIMITS.target),
    compression: z.enum(['gzip', 'zstd', 'none']),
    ops: z.array(opSchema).max(DELTA_LIMITS.ops),
  })
  .strict();
export type DeltaHeader = z.infer<typeof deltaHeaderSchema>;

export function encodeDelta(header: DeltaHeader, literals: Buffer[]): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  return gzipSync(Buffer.concat([len, json, ...literals]), { level: 6 });
}

/**
 * A delta file's header and literals, refused in one line when it is not one: not gzip, oversize, a header that does
 * not parse, ops whose lengths do not add up to the target, a range outside the base, literals too short or too long.
 */
export function decodeDelta(data: Buffer, label: string): { header: DeltaHeader; literals: Buffer } {
  let raw: Buffer;
  try {
    raw = gunzipSync(data, { maxOutputLength: DELTA_LIMITS.header + DELTA_LIMITS.literals + 4 });
  } catch (error) {
    throw new VzError('invalid-config', `delta ${label} is corrupt or oversize (${(error as Error).message.split('\n')[0]}): refused`);
  }
  if (raw.length < 4) throw new VzError('invalid-config', `delta ${label} is truncated: refused`);
  const size = raw.readUInt32BE(0);
  if (size > DELTA_LIMITS.header || 4 + size > raw.length) throw new VzError('invalid-config', `delta ${label}: header length ${size} is out of range: refused`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.subarray(4, 4 + size).toString('utf8'));
  } catch {
    throw new VzError('invalid-config', `delta ${label}: the header is not JSON: refused`);
  }
  const check = deltaHeaderSchema.safeParse(parsed);
  if (!check.success) {
    const issue = check.error.issues[0];
    throw new VzError('invalid-config', `delta ${label}: header field ${issue.path.join('.') || '(root)'}: ${issue.message}: refused`);
  }
  const header = check.data;
  const literals = raw.subarray(4 + size);
  let total = 0;
  let literal = 0;
  for (const op of header.ops) {
    if (op[0] === 'b') {
      if (op[1] + op[2] > header.baseTarSize) throw new VzError('invalid-config', `delta ${label}: a base range ${op[1]}+${op[2]} is outside the base's ${header.baseTarSize} bytes: refused`);
      total += op[2];
    } else {
      literal += op[1];
      total += op[1];
    }
  }
  if (total !== header.targetTarSize) throw new VzError('invalid-config', `delta ${label}: its ops make ${total} bytes, the target's tar has ${header.targetTarSize}: refused`);
  if (literal !== literals.length) throw new VzError('invalid-config', `delta ${label}: its ops take ${literal} literal bytes, it carries ${literals.length}: refused`);
  return { header, literals };
}
