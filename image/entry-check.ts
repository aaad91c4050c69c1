import { posix } from 'node:path';
import { VzError } from '../base/errors.ts';

export interface TarEntryHeader {
  path: string;
  type: string;
  linkpath?: string;
}

const FILES = new Set(['File', 'OldFile', 'ContiguousFile']);
const DEVICES = new Set(['CharacterDevice', 'BlockDevice', 'FIFO']);
const ALLOWED = new Set([...FILES, 'Directory', 'SymbolicLink', 'Link', ...DEVICES]);

/** The archive path as it will be written: no leading ./, no trailing /. Refuses absolute paths and `..`. */
function clean(path: string, what: string, entry: string): string {
  if (path.includes('\0')) throw refuse(entry, `${what} contains a NUL byte`);
  if (path.startsWith('/')) throw refuse(entry, `${what} is absolute`);
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw refuse(entry, `${what} contains ".."`);
  return parts.join('/');
}

function refuse(entry: string, why: string): VzError {
  return new VzError('invalid-config', `refused: entry "${entry}" ${why}; the archive is unsafe and nothing was extracted`);
}

/**
 * Why: extraction must not write outside the target, whatever the archive says. One checker sees every header in
 * order, before anything is written, and refuses: absolute paths, `..`, a path under an earlier symlink (a symlink
 * then a file written through it), a symlink over a directory already used, a relative symlink climbing out of the
 * root (absolute symlinks are kept: inside a rootfs they resolve against the rootfs, as chroot sees them), hard
 * links to anything but an earlier file of the archive, devices and fifos unless root, unknown entry types.
 */
export class EntryChecker {
  readonly isRoot: boolean;
  private types = new Map<string, string>();
  private ancestors = new Set<string>();
  private symlinks = new Set<string>();
  readonly devices: TarEntryHeader[] = [];

  constructor(isRoot = process.getuid?.() === 0) {
    this.isRoot = isRoot;
  }

  check(header: TarEntryHeader): string {
    const raw = header.path;
    if (!ALLOWED.has(header.type)) throw refuse(raw, `has the unsupported type ${header.type}`);
    const path = clean(raw, 'its path', raw);
    if (path === '' && header.type !== 'Directory') throw refuse(raw, 'names the root itself');
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (this.symlinks.has(prefix)) throw refuse(raw, `would be written through the symlink "${prefix}"`);
    }
    if (header.type === 'SymbolicLink') {
      if (this.ancestors.has(path)) throw refuse(raw, 'turns a directory already holding entries into a symlink');
      const target = header.linkpath ?? '';
      if (target === '') throw refuse(raw, 'is a symlink without a target');
      if (!target.startsWith('/') && climbsOut(posix.dirname(path), target))
        throw refuse(raw, `is a symlink to "${target}", outside the archive's root`);
      this.symlinks.add(path);
    } else {
      this.symlinks.delete(path);
    }
    if (header.type === 'Link') {
      const target = clean(header.linkpath ?? '', `its hard link target "${header.linkpath ?? ''}"`, raw);
      if (!FILES.has(this.types.get(target) ?? '')) throw refuse(raw, `is a hard link to "${header.linkpath}", which is not a file earlier in the archive`);
    }
    if (DEVICES.has(header.type)) {
      if (!this.isRoot) throw refuse(raw, `is a ${header.type === 'FIFO' ? 'fifo' : 'device node'}; only root may create one: run as root or remove it from the archive`);
      this.devices.push({ ...header, path });
    }
    for (let i = 1; i < parts.length; i++) this.ancestors.add(parts.slice(0, i).join('/'));
    this.types.set(path, header.type === 'Link' ? (this.types.get(clean(header.linkpath ?? '', '', raw)) as string) : header.type);
    return path;
  }
}

/** A relative target read step by step from dir: `..` above the root at any point is an escape. */
function climbsOut(dir: string, target: string): boolean {
  let depth = dir === '' || dir === '.' ? 0 : dir.split('/').length;
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    depth += part === '..' ? -1 : 1;
    if (depth < 0) return true;
  }
  return false;
}
