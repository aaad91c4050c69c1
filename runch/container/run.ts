import { constants } from 'node:os';
import type { StateStore } from '../state/store.ts';
import { withLock } from '../../base/lock.ts';
import { type CreateOptions, createLocked, execLocked } from './create.ts';
import { deleteContainer, deleteStopped } from './delete.ts';
import { formFor, hasHooks } from './form.ts';
import { checkId } from './paths.ts';
import { startLocked } from './start.ts';

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? 128 + (signal ? constants.signals[signal] : 0);
}

const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/**
 * runc `run`: create + start; in the foreground it forwards signals, waits, deletes the container and
 * returns the program's exit code (128 + signal number when a signal ended it).
 */
export async function runContainer(
  store: StateStore,
  id: string,
  options: CreateOptions & { detach?: boolean },
): Promise<number> {
  checkId(id);
  const { form } = await formFor(store, options.bundle); // validated once per config digest
  // One lock across create and start: nobody can start, kill or delete the container in between.
  const child = await withLock(store.lockPath(id), `container "${id}"`, async () => {
    const createOptions = { ...options, detached: options.detach ?? false };
    // No hook to run between create and start: the first process execs the program as soon as it has mounted.
    if (!hasHooks(form)) return (await execLocked(store, id, form, createOptions)).child;
    const created = await createLocked(store, id, form, createOptions);
    try {
      await startLocked(store, created.state);
    } catch (error) {
      await deleteStopped(store, store.load(id), true).catch(() => undefined);
      throw error;
    }
    return created.child;
  });
  const exited = new Promise<number>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(exitCodeOf(child.exitCode, child.signalCode));
    else child.once('exit', (code, signal) => resolve(exitCodeOf(code, signal)));
  });
  if (options.detach) {
    child.unref();
    return 0;
  }
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED) process.on(signal, forward);
  const code = await exited;
  for (const signal of FORWARDED) process.off(signal, forward);
  await deleteContainer(store, id, true);
  return code;
}
