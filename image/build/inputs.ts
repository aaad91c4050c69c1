import { createHash, type Hash } from 'node:crypto';
import { lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { walkSorted } from '../walk.ts';
import type { Deb } from './debian.ts';
import type { Recipe } from './recipe.ts';

/** Bumped when the builder's output for the same inputs changes: an old cache entry then no longer matches. */
const BUILDER = 'vz-build-1';

function hashPath(hash: Hash, path: string): void {
  const top = statSync(path, { throwIfNoEntry: false });
  if (!top) return void hash.update(`missing ${path}\n`);
  const entries = top.isDirectory() ? ['', ...walkSorted(path).paths] : [''];
  for (const rel of entries) {
    const abs = rel === '' ? path : join(path, rel);
    const s = lstatSync(abs);
    hash.update(`${rel}\0${s.mode}\0${s.uid}\0${s.gid}\0`);
    if (s.isSymbolicLink()) hash.update(readlinkSync(abs));
    else if (s.isFile()) hash.update(readFileSync(abs));
    hash.update('\n');
  }
}

/**
 * The build's inputs as one sha256: the recipe's text, the exact Debian packages apt resolved, and the content of
 * every local file, directory and tarball it names. Undefined when a source traces this machine's programs (their
 * files are only known by tracing): such a recipe is always built.
 */
export function inputsKey(text: string, recipe: Recipe, base: string, debs: Deb[], epoch: number): string | undefined {
  if (recipe.from.some((s) => 'ldd' in s || 'strace' in s)) return undefined;
  const hash = createHash('sha256');
  hash.update(`${BUILDER}\n${epoch}\n${text}\n`);
  for (const d of debs) hash.update(`deb ${d.file} ${d.size}\n`);
  for (const s of recipe.from) {
    if ('dir' in s) hashPath(hash, resolve(base, s.dir));
    if ('docker' in s) hashPath(hash, resolve(base, s.docker));
    if ('image' in s) hashPath(hash, resolve(base, s.image));
  }
  for (const f of recipe.files) if (f.src !== undefined) hashPath(hash, resolve(base, f.src));
  return hash.digest('hex');
}
