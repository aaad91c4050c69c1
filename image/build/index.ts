import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { writeAtomic } from '../../base/atomic.ts';
import { VzError } from '../../base/errors.ts';
import { parseRlimit } from '../../runch/oci/rlimit-text.ts';
import { bundleConfig, programInRootfs } from '../bundle.ts';
import { pack } from '../pack.ts';
import { writeSkeleton } from '../skeleton.ts';
import { resolveDebs, type Deb } from './debian.ts';
import { copyFiles } from './files.ts';
import { inputsKey } from './inputs.ts';
import { loadRecipe, type Recipe } from './recipe.ts';
import { findRunch, runSteps } from './run-steps.ts';
import { applySource } from './sources.ts';
import { traceTrim } from './trace-trim.ts';
import { trim } from './trim.ts';

export { loadRecipe, recipeSchema, type Recipe } from './recipe.ts';

export interface BuildOptions {
  /** Where downloaded .debs are kept between builds (default /var/cache/vz/debs, or VZ_DEB_CACHE). */
  debCache?: string;
  /** runch to run the recipe's `run` steps with (default: VZ_RUNCH, the runch.cjs beside this tool, PATH's). */
  runch?: string;
  /** One line per build step (the CLI prints them on stderr). */
  log?: (line: string) => void;
}

export interface BuildResult {
  /** The packed image, <outDir>/<sha256 hex>.tar.gz (or .tar.zst, .tar). */
  image: string;
  digest: string;
  /** The image file's size in bytes. */
  size: number;
  /** True when the inputs were unchanged and the image of the last build was returned without building. */
  cached: boolean;
  packages: number;
}

const cacheEntry = z.object({ key: z.string(), image: z.string(), digest: z.string(), size: z.number(), packages: z.number() });

/** Every entry's mtime: the recipe's epoch, else SOURCE_DATE_EPOCH (reproducible-builds.org), else 1970. */
function epochOf(recipe: Recipe): number {
  if (recipe.epoch !== undefined) return recipe.epoch;
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env === undefined || env === '') return 0;
  if (!/^\d+$/.test(env)) throw new VzError('usage', `SOURCE_DATE_EPOCH "${env}" must be seconds since 1970`);
  return Number(env);
}

/** The image's config.json: the recipe's process, its ports as annotations (for information: runch opens none). */
function finalConfig(recipe: Recipe) {
  const p = recipe.process;
  const [uid, gid] = p.user === undefined ? [] : p.user.split(':').map(Number);
  const config = bundleConfig({
    args: p.args,
    env: p.env,
    user: uid === undefined ? undefined : { uid, gid },
    cwd: p.cwd,
    rlimits: p.rlimits.map((text, i) => parseRlimit(text, `recipe process.rlimits[${i}]`)),
  });
  config.annotations = { ...config.annotations, 'org.vz.image.name': recipe.name };
  if (recipe.ports.length > 0) config.annotations['org.vz.image.ports'] = recipe.ports.map((port) => (port.includes('/') ? port : `${port}/tcp`)).join(',');
  return config;
}

/**
 * `vzimage build RECIPE -o DIR`: the recipe's sources applied in order into a fresh rootfs, the skeleton where it
 * has none, its files copied in, its run steps run under runch, trimmed, then packed with every mtime at the epoch:
 * the same recipe and inputs give the same digest. When the inputs are those of the last build into outDir (and its
 * image is still there), that image is returned without building.
 */
export async function buildImage(recipePath: string, outDir: string, options: BuildOptions = {}): Promise<BuildResult> {
  const log = options.log ?? (() => {});
  const { recipe, text, base } = loadRecipe(recipePath);
  const epoch = epochOf(recipe);
  const finalCfg = finalConfig(recipe); // a bad process is refused before anything is fetched
  const resolved: Deb[][] = [];
  for (const source of recipe.from) resolved.push('debian' in source ? await resolveDebs(source.debian.packages, source.debian.recommends) : []);
  const debs = resolved.flat();
  const key = inputsKey(text, recipe, base, debs, epoch);
  const out = resolve(outDir);
  const cacheFile = join(out, `.vz-build-${recipe.name}.json`);
  if (key !== undefined && existsSync(cacheFile)) {
    const last = cacheEntry.safeParse(JSON.parse(readFileSync(cacheFile, 'utf8')));
    if (last.success && last.data.key === key && existsSync(last.data.image)) {
      log('inputs unchanged: the last build\'s image');
      return { image: last.data.image, digest: last.data.digest, size: last.data.size, cached: true, packages: last.data.packages };
    }
  }
  mkdirSync(out, { recursive: true });
  const work = mkdtempSync(join(out, `.vz-build-${recipe.name}-`));
  try {
    const bundle = join(work, recipe.name);
    const root = join(bundle, 'rootfs');
    mkdirSync(root, { recursive: true });
    chmodSync(root, 0o755);
    const ctx = { base, debCache: options.debCache ?? process.env.VZ_DEB_CACHE ?? '/var/cache/vz/debs', log };
    for (const [i, source] of recipe.from.entries()) await applySource(source, root, ctx, resolved[i]);
    const user = finalCfg.process.user;
    writeSkeleton(root, { user: user.uid === 0 ? undefined : { name: 'app', uid: user.uid, gid: user.gid ?? user.uid }, nss: true });
    await copyFiles(recipe.files, root, base);
    await runSteps(bundle, recipe.run, recipe.process.env, findRunch(options.runch), log);
    const trimmed = trim(recipe.trim, root);
    if (trimmed.length > 0) log(`trimmed ${trimmed.join(' ')}`);
    if (recipe.trim.trace) {
      const program = finalCfg.process.args[0];
      const removed = await traceTrim(bundle, recipe.trim.trace, recipe.process.env, findRunch(options.runch), [...(program.startsWith('/') ? [program] : []), ...recipe.files.map((f) => f.dest)]);
      log(`trace: kept what ${recipe.trim.trace.join(' ')} touched, removed ${removed} entries`);
    }
    if (!programInRootfs(root, finalCfg)) throw new VzError('invalid-config', `recipe process.args[0]: "${finalCfg.process.args[0]}" is not in the image: add the package or file that has it, or give its path inside the image`);
    writeFileSync(join(bundle, 'config.json'), `${JSON.stringify(finalCfg, null, 2)}\n`, { mode: 0o644 });
    const packed = await pack(bundle, out, { app: recipe.name, compression: recipe.compression, mtime: new Date(epoch * 1000) });
    const result = { image: packed.path, digest: packed.digest, size: packed.manifest.size, cached: false, packages: debs.length };
    if (key !== undefined) await writeAtomic(cacheFile, `${JSON.stringify({ key, image: result.image, digest: result.digest, size: result.size, packages: result.packages })}\n`);
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
