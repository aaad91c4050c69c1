import { chmodSync, lchownSync, lstatSync } from 'node:fs';
import { VzError } from '../base/errors.ts';
import { copyPaths } from './copy.ts';
import { expandChains } from './spec.ts';
import { stage } from './stage.ts';

export interface RootfsResult {
  /** Every host path copied (the spec's paths with their symlink chains). */
  paths: string[];
  skipped: string[];
}

/**
 * `rootfs from-spec`: a new rootfs at dir holding the spec's paths (files, directories, symlinks, with modes and
 * owners), built beside dir and renamed into place. `finish` may add files before the rename (ldd-trace's skeleton).
 */
export async function rootfsFromSpec(paths: string[], dir: string, finish?: (tmp: string) => Promise<void> | void): Promise<RootfsResult> {
  const { present, missing } = expandChains(paths);
  if (missing.length > 0) throw new VzError('not-found', `${missing[0]} (in the spec) does not exist on this machine${missing.length > 1 ? ` (nor ${missing.length - 1} more)` : ''}: remove it from the spec or install it`);
  return stage(dir, async (tmp) => {
    const root = lstatSync('/');
    chmodSync(tmp, root.mode & 0o7777);
    if (process.getuid?.() === 0) lchownSync(tmp, root.uid, root.gid);
    const { skipped } = copyPaths(tmp, present);
    await finish?.(tmp);
    return { paths: present, skipped };
  });
}
