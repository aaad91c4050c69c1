import { accessSync, constants, lstatSync, readlinkSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { VzError } from '../../base/errors.ts';

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
export const MAX_ID_LENGTH = 64;

/** Why: the id names a directory under --root; it must never climb out of it or collide with our lock files. */
export function checkId(id: string | undefined): string {
  if (id === undefined || id === '') throw new VzError('invalid-id', 'container id is empty: give an id such as "web1"');
  if (id.length > MAX_ID_LENGTH)
    throw new VzError('invalid-id', `container id "${id.slice(0, 20)}..." is ${id.length} characters: use at most ${MAX_ID_LENGTH}`);
  if (!ID_PATTERN.test(id) || id.endsWith('.lock'))
    throw new VzError(
      'invalid-id',
      `container id "${id}" is invalid: use letters, digits, "_", "-" and "." only, starting with a letter or digit`,
    );
  return id;
}

/**
 * Resolve a path as the container will see it, on the host, following symlinks the way chroot does
 * (an absolute link target starts again at the rootfs). A path that would climb above the rootfs, through
 * ".." or through a symlink, is refused rather than clamped: it is a mistake or an attack.
 */
export function resolveInRoot(root: string, inside: string, what: string): string {
  const pending = inside.split('/').filter((part) => part !== '' && part !== '.');
  let resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      if (resolved.length === 0)
        throw new VzError('invalid-config', `${what} "${inside}" escapes the rootfs through "..": use a path inside the rootfs`);
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, part);
    let isLink = false;
    try {
      isLink = lstatSync(candidate).isSymbolicLink();
    } catch {
      // A missing component is created later (mount points) or reported by the caller.
    }
    if (!isLink) {
      resolved.push(part);
      continue;
    }
    if (++links > 40) throw new VzError('invalid-config', `${what} "${inside}" has too many levels of symlinks in the rootfs`);
    const target = readlinkSync(candidate);
    if (target.startsWith('/')) resolved = [];
    const targetParts = target.split('/').filter((p) => p !== '' && p !== '.');
    // A relative link climbing above the rootfs is an escape, not something to clamp.
    let depth = resolved.length;
    for (const p of targetParts) {
      depth += p === '..' ? -1 : 1;
      if (depth < 0)
        throw new VzError(
          'invalid-config',
          `${what} "${inside}" escapes the rootfs through the symlink "${posix.join('/', ...resolved, part)}" -> "${target}": point it inside the rootfs`,
        );
    }
    pending.unshift(...targetParts);
  }
  return join(root, ...resolved);
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Why: "exec: not found" after the mounts are up is too late; find the program in the rootfs the way execvp will. */
export function findProgram(root: string, program: string, env: string[], cwd: string): string {
  const candidates: string[] = [];
  if (program.includes('/')) {
    candidates.push(program.startsWith('/') ? program : posix.join(cwd, program));
  } else {
    const pathEntry = [...env].reverse().find((entry) => entry.startsWith('PATH='));
    const path = pathEntry ? pathEntry.slice(5) : DEFAULT_PATH;
    for (const dir of path.split(':')) if (dir.startsWith('/')) candidates.push(posix.join(dir, program));
  }
  for (const candidate of candidates) {
    let hostPath: string;
    try {
      hostPath = resolveInRoot(root, candidate, 'process.args[0]');
      if (!statSync(hostPath).isFile()) continue;
      accessSync(hostPath, constants.X_OK);
    } catch (error) {
      if (error instanceof VzError) throw error;
      continue;
    }
    return candidate;
  }
  throw new VzError(
    'invalid-config',
    `process.args[0] "${program}" is not an executable file in the rootfs${program.includes('/') ? '' : ' PATH'}: put it in the rootfs or fix process.args`,
  );
}
