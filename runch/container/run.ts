import { constants } from 'node:os';
import type { StateStore } from '../state/store.ts';
import { type CreateOptions, createContainer } from './create.ts';
import { deleteContainer, deleteStopped } from './delete.ts';
import { startContainer } from './start.ts';

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
  const { child } = await createContainer(store, id, { ...options, detached: options.detach ?? false });
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0))),
  );
  try {
    await startContainer(store, id);
  } catch (error) {
    await deleteStopped(store, store.load(id), true).catch(() => undefined);
    throw error;
  }
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
