import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, fsyncSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { VzError } from '../../base/errors.ts';
import { compressor, decompressor, EXTENSIONS, sniff } from '../compression.ts';
import { decodeDelta, DELTA_LIMITS } from './format.ts';
import { imageNameParts } from './make.ts';

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A target image rebuilt from a base image and a delta, written into `outDir` under its own name only after both
 * its tar and its packed file hash to what the delta names: a corrupt delta, a wrong base, or a compressor that
 * writes other bytes than the master's is refused in one line, and nothing is left behind. `expected`: the target
 * name the caller asked for (the delta must rebuild that one, not another).
 */
export async function rebuildImage(baseImage: string, deltaFile: string, outDir: string, expected?: string): Promise<{ path: string; digest: string }> {
  const label = basename(deltaFile);
  const size = statSync(deltaFile, { throwIfNoEntry: false })?.size;
  if (size === undefined) throw new VzError('not-found', `delta ${label} is not there: send it first`);
  if (size > DELTA_LIMITS.literals) throw new VzError('invalid-config', `delta ${label} is ${size} bytes, over the ${DELTA_LIMITS.literals} a delta may be: refused`);
  const { header, literals } = decodeDelta(readFileSync(deltaFile), label);
  const targetName = `${header.target}${EXTENSIONS[header.compression]}`;
  if (expected !== undefined && expected !== targetName) throw new VzError('invalid-config', `delta ${label} rebuilds ${targetName}, not ${expected}: refused`);
  const base = imageNameParts(baseImage);
  if (base.hex !== header.base) throw new VzError('invalid-config', `delta ${label} is against base ${header.base.slice(0, 16)}, not ${base.hex.slice(0, 16)}: refused`);
  if (statSync(baseImage, { throwIfNoEntry: false }) === undefined) throw new VzError('not-found', `base image ${basename(baseImage)} is not on this host: send the full image`);
  const baseActual = await sha256OfFile(baseImage);
  if (baseActual !== base.hex) throw new VzError('invalid-config', `base image ${basename(baseImage)} is corrupt here (its sha256 is ${baseActual}): send the full image`);

  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const baseTarPath = join(outDir, `.vz-delta-base-${tag}.tmp`);
  const outTmp = join(outDir, `.vz-delta-out-${tag}.tmp`);
  const head = Buffer.alloc(4);
  const probe = openSync(baseImage, 'r');
  readSync(probe, head, 0, 4, 0);
  closeSync(probe);
  const unzip = decompressor(sniff(head));
  try {
    let baseTar = baseImage;
    if (unzip) {
      await pipeline(createReadStream(baseImage), unzip, createWriteStream(baseTarPath, { mode: 0o600 }));
      baseTar = baseTarPath;
    }
    if (statSync(baseTar).size !== header.baseTarSize) throw new VzError('invalid-config', `delta ${label}: the base's tar has ${statSync(baseTar).size} bytes, the delta expects ${header.baseTarSize}: refused`);
    const tarHash = createHash('sha256');
    const packedHash = createHash('sha256');
    const fd = openSync(baseTar, 'r');
    try {
      const target = async function* (): AsyncGenerator<Buffer> {
        let literalAt = 0;
        for (const op of header.ops) {
          if (op[0] === 'l') {
            const bytes = literals.subarray(literalAt, literalAt + op[1]);
            literalAt += op[1];
            tarHash.update(bytes);
            yield bytes;
            continue;
          }
          for (let at = op[1], left = op[2]; left > 0; ) {
            const buf = Buffer.allocUnsafe(Math.min(left, 1 << 20));
            const got = readSync(fd, buf, 0, buf.length, at);
            if (got <= 0) throw new VzError('invalid-config', `delta ${label}: the base ends early: refused`);
            const bytes = buf.subarray(0, got);
            tarHash.update(bytes);
            yield bytes;
            at += got;
            left -= got;
          }
        }
      };
      const hashPacked = async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
        for await (const chunk of source) {
          packedHash.update(chunk);
          yield chunk;
        }
      };
      const zip = compressor(header.compression);
      if (zip) await pipeline(target, zip, hashPacked, createWriteStream(outTmp, { mode: 0o644 }));
      else await pipeline(target, hashPacked, createWriteStream(outTmp, { mode: 0o644 }));
    } finally {
      closeSync(fd);
    }
    const tarHex = tarHash.digest('hex');
    if (tarHex !== header.targetTar) throw new VzError('invalid-config', `delta ${label} rebuilds a tar whose sha256 is ${tarHex}, the delta says ${header.targetTar}: corrupt, refused`);
    const packedHex = packedHash.digest('hex');
    if (packedHex !== header.target) throw new VzError('invalid-config', `delta ${label}: the rebuilt tar is right but this host's ${header.compression} writes ${packedHex}, not ${header.target}: refused, send the full image`);
    const out = openSync(outTmp, 'r');
    fsyncSync(out);
    closeSync(out);
    const path = join(outDir, targetName);
    renameSync(outTmp, path);
    return { path, digest: `sha256:${packedHex}` };
  } finally {
    rmSync(baseTarPath, { force: true });
    rmSync(outTmp, { force: true });
  }
}
