import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createWriteStream, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { writeAtomic } from '../base/atomic.ts';
import { VzError } from '../base/errors.ts';
import { compressor, EXTENSIONS, type Compression } from './compression.ts';
import { manifestSchema, type Manifest } from './manifest.ts';
import { progress } from './progress.ts';
import { tarStream } from './tar-writer.ts';
import { walkSorted } from './walk.ts';

export interface PackOptions {
  /** The app's name in the manifest; the bundle directory's name by default. */
  app?: string;
  compression?: Compression;
  /** Every entry's mtime (a build's epoch); by default SOURCE_DATE_EPOCH, else each file's own. */
  mtime?: Date;
}

export interface PackResult {
  /** The image: <outDir>/<sha256 hex><.tar.gz|.tar.zst|.tar>. */
  path: string;
  digest: string;
  manifest: Manifest;
  manifestPath: string;
}

/** SOURCE_DATE_EPOCH (reproducible-builds.org): when set, every entry's mtime; otherwise each file's own. */
function fixedTime(): Date | undefined {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch === undefined || epoch === '') return undefined;
  if (!/^\d+$/.test(epoch)) throw new VzError('usage', `SOURCE_DATE_EPOCH "${epoch}" must be seconds since 1970`);
  return new Date(Number(epoch) * 1000);
}

/** `vzimage pack`: a bundle into one flat, deterministic tarball named by its sha256, and its manifest beside it. */
export async function pack(bundleDir: string, outDir: string, options: PackOptions = {}): Promise<PackResult> {
  const bundle = resolve(bundleDir);
  const compression = options.compression ?? 'gzip';
  const app = options.app ?? basename(bundle);
  const appCheck = manifestSchema.shape.app.safeParse(app);
  if (!appCheck.success) throw new VzError('usage', `app name "${app}" ${appCheck.error.issues[0].message}: give --app NAME`);
  if (!existsSync(join(bundle, 'config.json')) || !statSync(join(bundle, 'rootfs'), { throwIfNoEntry: false })?.isDirectory())
    throw new VzError('invalid-config', `${bundleDir} is not a bundle (config.json and rootfs/ are needed): make one with vzimage bundle`);
  const out = resolve(outDir);
  if (out === bundle || out.startsWith(`${bundle}/`)) throw new VzError('usage', `-o ${outDir} is inside the bundle ${bundleDir}: the image would pack itself; choose a directory outside it`);
  const stream = compressor(compression); // refuses zstd on an old Node before any file is written
  mkdirSync(outDir, { recursive: true });
  const { paths, bytes, stats } = walkSorted(bundle);
  const fixed = options.mtime ?? fixedTime();
  const tmp = join(outDir, `.vz-pack-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const hash = createHash('sha256');
  const bar = progress(`packing ${app}`, bytes);
  let size = 0;
  try {
    const digest = async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    };
    const sink = createWriteStream(tmp, { mode: 0o644 });
    const source = tarStream(bundle, paths, fixed, bar.add, stats);
    if (stream) await pipeline(source, stream, digest, sink);
    else await pipeline(source, digest, sink);
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw new VzError('system', `pack ${bundleDir}: ${(error as Error).message}`, { cause: error });
  }
  bar.done();
  const hex = hash.digest('hex');
  const file = `${hex}${EXTENSIONS[compression]}`;
  const path = join(outDir, file);
  renameSync(tmp, path);
  const manifest: Manifest = { schemaVersion: 1, app, created: new Date().toISOString(), digest: `sha256:${hex}`, compression, size, file };
  const manifestPath = join(outDir, `${hex}.json`);
  await writeAtomic(manifestPath, `${JSON.stringify(manifestSchema.parse(manifest), null, 2)}\n`);
  return { path, digest: manifest.digest, manifest, manifestPath };
}
