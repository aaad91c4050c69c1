import lockfile from 'proper-lockfile';
import { VzError } from './errors.ts';

/**
 * Why: two runch calls on one id must never interleave. proper-lockfile takes an atomic mkdir lock
 * (`<path>.lock`), refreshes its mtime while held and treats a lock untouched for `staleMs` as left by a crash.
 */
export async function withLock<T>(path: string, what: string, fn: () => Promise<T>, waitMs = 10_000): Promise<T> {
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, {
      realpath: false,
      stale: 15_000,
      update: 5_000,
      retries: { retries: Math.max(1, Math.ceil(waitMs / 50)), minTimeout: 20, maxTimeout: 50, factor: 1 },
    });
  } catch (error) {
    throw new VzError('locked', `${what} is busy: another runch call holds ${path}.lock; retry when it ends`, {
      cause: error,
    });
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
