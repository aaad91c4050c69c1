import { chmodSync, lchownSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { VzError } from '../../base/errors.ts';
import type { Recipe } from './recipe.ts';

/** Parents of dest that do not exist yet, made as root-owned 0755 directories. */
function parents(root: string, dest: string): void {
  mkdirSync(dirname(join(root, dest)), { recursive: true, mode: 0o755 });
}

/**
 * The recipe's `files`: each src (a file or a directory, copied with its content) or content (the text) at dest,
 * with the recipe's mode and owner (0:0 by default: the build machine's owners must not leak into the image).
 */
export async function copyFiles(files: Recipe['files'], root: string, base: string): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  for (const [i, file] of files.entries()) {
    const target = join(root, file.dest);
    parents(root, file.dest);
    if (file.content !== undefined) writeFileSync(target, file.content, { mode: 0o644 });
    else {
      const src = resolve(base, file.src ?? '');
      if (!statSync(src, { throwIfNoEntry: false })) throw new VzError('not-found', `recipe files[${i}].src: ${src} does not exist: give a path relative to the recipe`);
      await execa('cp', ['-RP', '--no-preserve=all', '-T', '--', src, target], { stdin: 'ignore' });
      if (isRoot) await execa('chown', ['-hR', `${file.uid}:${file.gid}`, '--', target]);
    }
    if (file.mode !== undefined) chmodSync(target, parseInt(file.mode, 8));
    if (isRoot) lchownSync(target, file.uid, file.gid);
  }
}
