import { chmodSync, lchownSync, lstatSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { VzError } from '../../base/errors.ts';
import type { Recipe } from './recipe.ts';

/**
 * Parents of dest that do not exist yet, made as 0755 directories; a parent that is a symlink in the image is
 * refused (following it here would follow it on the build machine, where an absolute link means another file).
 */
function parents(root: string, dest: string, field: string): void {
  const parts = dest.split('/').filter(Boolean).slice(0, -1);
  for (let i = 1; i <= parts.length; i++) {
    const path = join(root, ...parts.slice(0, i));
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (stat?.isSymbolicLink()) throw new VzError('invalid-config', `recipe ${field}: /${parts.slice(0, i).join('/')} is a symlink in the image: give the path it points to`);
    if (stat && !stat.isDirectory()) throw new VzError('invalid-config', `recipe ${field}: /${parts.slice(0, i).join('/')} is a file in the image, not a directory`);
    if (!stat) mkdirSync(path, { mode: 0o755 });
  }
}

/**
 * The recipe's `files`: each src (a file or a directory, copied with its content) or content (the text) at dest,
 * with the recipe's mode and owner (0:0 by default: the build machine's owners must not leak into the image).
 */
export async function copyFiles(files: Recipe['files'], root: string, base: string): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  for (const [i, file] of files.entries()) {
    const target = join(root, file.dest);
    parents(root, file.dest, `files[${i}].dest`);
    rmSync(target, { recursive: true, force: true }); // never write through what the image has there
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
