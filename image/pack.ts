import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createWriteStream, write, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { writeAtomic } from '../base/atomic.ts';
import { VzError } from '../base/errors.ts';
import { checkCompression, compressor, EXTENSIONS, type Compression } from './compression.ts';
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

const writeAt = promisify(write);

/** SOURCE_DATE_EPOCH (reproducible-builds.org): when set, every entry's mtime; otherwise each file's own. */
function fixedTime(): Date | undefined {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch === undefined || epoch === '') return undefined;
  if (!/^\d+$/.test(epoch)) throw new VzError('usage', `SOURCE_DATE_EPOCH "${epoch}" must be seconds since 1970`);
  return new Date(Number(epoch) * 1000);
}

/**
 * The uncompressed archive into a file, each batch's write (in the thread pool) overlapping the reading of the next
 * batch's files (on this thread); a stream pipeline would add a queue and a copy of its own per batch.
 */
async function writeOverlapped(chunks: AsyncIterable<Buffer>, path: string): Promise<void> {
  const fd = openSync(path, 'w', 0o644);
  let pending: Promise<void> = Promise.resolve();
  const writeAll = async (chunk: Buffer): Promise<void> => {
    for (let off = 0; off < chunk.length; ) off += (await writeAt(fd, chunk, off, chunk.length - off)).bytesWritten;
  };
  try {
    for await (const chunk of chunks) {
      await pending;
      pending = writeAll(chunk);
      pending.catch(() => undefined); // awaited on the next turn or below
    }
    await pending;
  } finally {
    closeSync(fd);
  }
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
  checkCompression(compression); // zstd on an old Node without the system's zstd: refused before any file is written
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
    const source = tarStream(bundle, paths, fixed, bar.add, stats);
    const stream = compressor(compression);
    if (stream) await pipeline(source, stream, digest, createWriteStream(tmp, { mode: 0o644 }));
    else await writeOverlapped(digest(source), tmp);
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
