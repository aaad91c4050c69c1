import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { VzError } from '../../base/errors.ts';
import { lddTrace } from '../ldd-trace.ts';
import { rootfsFromSpec } from '../rootfs.ts';
import { straceTrace } from '../strace-trace.ts';
import { importImage } from '../oci-layout/import.ts';
import { mergeOver } from '../oci-layout/merge.ts';
import { importDocker } from '../unpack.ts';
import { extractDebs, fetchDebs, resolveDebs, type Deb } from './debian.ts';
import type { Source } from './recipe.ts';

export interface SourceContext {
  /** The recipe's directory: relative paths are read from there. */
  base: string;
  debCache: string;
  log: (line: string) => void;
}

/** A tree merged over the rootfs: owners, modes, links and times kept, never written through a symlink. */
async function mergeTree(from: string, root: string): Promise<void> {
  await mergeOver(from, root);
}

/** A source built by an existing tool into a fresh directory, then merged over the rootfs. */
async function viaScratch(root: string, make: (dir: string) => Promise<unknown>): Promise<void> {
  const scratch = mkdtempSync(join(dirname(root), '.vz-source-'));
  try {
    const dir = join(scratch, 'tree');
    mkdirSync(dir); // an empty target: every maker accepts one
    await make(dir);
    await mergeTree(dir, root);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Applies one source of the recipe's `from` over the rootfs; returns the Debian packages it installed, if any. */
export async function applySource(source: Source, root: string, ctx: SourceContext, resolved: Deb[] = []): Promise<Deb[]> {
  if ('debian' in source) {
    const debs = resolved.length > 0 ? resolved : await resolveDebs(source.debian.packages, source.debian.recommends);
    ctx.log(`debian: ${debs.length} packages for ${source.debian.packages.join(' ')}`);
    const files = await fetchDebs(debs, ctx.debCache);
    // dpkg-deb -x follows a symlink it finds: over an earlier source's tree, extract apart and merge
    if (readdirSync(root).length === 0) await extractDebs(files, root);
    else await viaScratch(root, (dir) => extractDebs(files, dir));
    return debs;
  }
  if ('dir' in source) {
    const dir = resolve(ctx.base, source.dir);
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new VzError('not-found', `recipe from.dir: ${dir} is not a directory: give a directory relative to the recipe`);
    ctx.log(`dir: ${dir}`);
    await mergeTree(dir, root);
    return [];
  }
  if ('docker' in source) {
    const file = resolve(ctx.base, source.docker);
    ctx.log(`docker: ${file}`);
    await viaScratch(root, (dir) => importDocker(file, dir));
    return [];
  }
  if ('image' in source) {
    const file = resolve(ctx.base, source.image);
    ctx.log(`image: ${file}`);
    await viaScratch(root, (dir) => importImage(file, dir));
    return [];
  }
  if ('ldd' in source) {
    ctx.log(`ldd: ${source.ldd.join(' ')}`);
    await viaScratch(root, (dir) => lddTrace(dir, source.ldd));
    return [];
  }
  ctx.log(`strace: ${source.strace.join(' ')}`);
  const traced = await straceTrace(source.strace);
  if (traced.exitCode !== 0) throw new VzError('invalid-config', `recipe from.strace: ${source.strace.join(' ')} exited ${traced.exitCode}: the trace would be incomplete; fix the command`);
  await viaScratch(root, (dir) => rootfsFromSpec(traced.paths, dir));
  return [];
}
