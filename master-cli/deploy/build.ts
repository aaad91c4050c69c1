import { realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { VzError } from '../../base/errors.ts';
import { buildImage } from '../../image/build/index.ts';
import { runchArtifact } from '../app/runch-artifact.ts';

/** What a deploy's build gave, for the report (`--json`) and the progress line. */
export interface DeployBuild {
  recipe: string;
  image: string;
  digest: string;
  /** The image file's size in bytes. */
  size: number;
  /** True when the inputs were those of the last build: its image was deployed, nothing was built. */
  cached: boolean;
}

/**
 * A manifest's `build:` as an absolute path: relative to the manifest's directory and inside it, symlinks resolved.
 * The manifest and its recipe are one app's tree (the recipe's own inputs are relative to the recipe): a manifest
 * can build only from the directory it sits in, never from another app's or the master's files by a path that climbs
 * out. Checked when the manifest is read, before any host is asked anything.
 */
export function recipePath(baseDir: string, given: string): string {
  const fix = `give a path relative to the manifest, inside its directory, e.g. build: ./app.vz.yml`;
  if (isAbsolute(given)) throw new VzError('invalid-config', `build: "${given}" is absolute: ${fix}`);
  let base: string;
  let real: string;
  try {
    base = realpathSync(baseDir);
    real = realpathSync(resolve(baseDir, given));
  } catch {
    throw new VzError('not-found', `build: the recipe "${given}" cannot be read beside the manifest: check the path`);
  }
  const rel = relative(base, real);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new VzError('invalid-config', `build: "${given}" leads out of the manifest's directory: ${fix}`);
  return real;
}

/**
 * `vzmaster deploy` of a manifest with `build:`: vzimage build into the master's image cache (the directory bundle
 * packs go to). The build keeps the sha256 of its inputs (the recipe's text, the exact Debian packages apt resolves,
 * every local file it names) beside its image there: unchanged inputs give back the last image without building. A
 * build that fails throws, so nothing is pushed or deployed.
 */
export async function buildForDeploy(recipe: string, stateDir: string, log: (line: string) => void = () => {}): Promise<DeployBuild> {
  const built = await buildImage(recipe, join(stateDir, 'images'), { runch: runchArtifact(), log });
  const mib = `${(built.size / 1024 / 1024).toFixed(1)} MiB`;
  log(`${built.cached ? 'unchanged, not built:' : 'built'} ${built.digest} (${mib}${built.packages > 0 ? `, ${built.packages} Debian packages` : ''})`);
  return { recipe, image: built.image, digest: built.digest, size: built.size, cached: built.cached };
}
