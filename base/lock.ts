import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { VzError } from './errors.ts';
import { isAlive, processStartTime } from './proc.ts';

/**
 * One lock per name: an atomic mkdir of `<path>.lock` holding its owner's pid and start time.
 * Why hand-written: proper-lockfile judges staleness by an mtime it refreshes on a timer and loads graceful-fs
 * (which patches fs) on every start; here a lock is stale exactly when its owner process is gone, which a pid plus
 * kernel start time tells without clocks. A lock dir with no owner yet (its creator between mkdir and write) is
 * only taken over after a grace period.
 */
const OWNERLESS_GRACE_MS = 2_000;

function owner(lockDir: string): { pid: number; startTime: number } | undefined {
  try {
    const [pid, startTime] = readFileSync(`${lockDir}/owner`, 'utf8').trim().split(' ').map(Number);
    return { pid, startTime };
  } catch {
    return undefined;
  }
}

function isStale(lockDir: string): boolean {
  const current = owner(lockDir);
  if (current) return !isAlive(current.pid, current.startTime);
  try {
    return Date.now() - statSync(lockDir).mtimeMs > OWNERLESS_GRACE_MS;
  } catch {
    return false; // gone already: the next mkdir tells
  }
}

/** Try once; true when this process now holds the lock. */
function tryLock(lockDir: string): boolean {
  try {
    mkdirSync(lockDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (!isStale(lockDir)) return false;
    // Take a stale lock over by renaming it away: of several takers, one rename wins.
    const grave = `${lockDir}.stale.${process.pid}`;
    try {
      renameSync(lockDir, grave);
    } catch {
      return false;
    }
    rmSync(grave, { recursive: true, force: true });
    return tryLock(lockDir);
  }
  writeFileSync(`${lockDir}/owner`, `${process.pid} ${processStartTime(process.pid) ?? 0}\n`);
  return true;
}

export async function withLock<T>(path: string, what: string, fn: () => Promise<T>, waitMs = 10_000): Promise<T> {
  const lockDir = `${path}.lock`;
  const deadline = Date.now() + waitMs;
  while (!tryLock(lockDir)) {
    if (Date.now() > deadline) {
      const holder = owner(lockDir);
      throw new VzError('locked', `${what} is busy: ${holder ? `process ${holder.pid}` : 'another runch call'} holds ${lockDir}; retry when it ends`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
