import { withLock } from '../../base/lock.ts';

/** Why: two `vzmaster lab` calls on one lab dir (up and down at once) must never interleave. */
export function withLabLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  return withLock(lockPath, `the lab in ${lockPath.replace(/\/lab$/, '')}`, fn, 60_000);
}
