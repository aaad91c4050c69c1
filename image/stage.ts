import { chmodSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { VzError } from '../base/errors.ts';

/** Refuses a target that exists and is not an empty directory, before any work is done. */
export function checkTarget(target: string): void {
  let entries: string[];
  try {
    if (!statSync(target).isDirectory()) throw new VzError('exists', `${target} exists and is not a directory: choose another target`);
    entries = readdirSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (entries.length > 0) throw new VzError('exists', `${target} exists and is not empty: remove it or choose another target`);
}

/**
 * Why: nothing half-written may remain. The work happens in a temp directory beside the target (same file
 * system), which is renamed into place only when complete and removed on any failure.
 */
export async function stage<T>(target: string, work: (tmp: string) => Promise<T>): Promise<T> {
  const abs = resolve(target);
  checkTarget(abs);
  mkdirSync(dirname(abs), { recursive: true });
  const tmp = mkdtempSync(join(dirname(abs), `.${basename(abs)}.vz-tmp-`));
  chmodSync(tmp, 0o755); // mkdtemp's 0700 would become the target's mode
  try {
    const result = await work(tmp);
    checkTarget(abs);
    try {
      rmdirSync(abs);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    renameSync(tmp, abs);
    return result;
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}
