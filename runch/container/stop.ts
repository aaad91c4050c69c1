import { VzError } from '../../base/errors.ts';
import { withLock } from '../../base/lock.ts';
import type { ContainerState, StateStore } from '../state/store.ts';
import { deleteStopped } from './delete.ts';
import { type Proc, type TerminateOptions, containerProcs, terminate } from './terminate.ts';

export interface StopOptions extends TerminateOptions {
  /** Processes to stop besides the container's own: a runch still waiting to become it, a supervisor. */
  also?: Proc[];
}

export interface StopResult {
  /** How the processes ended: none was alive, they exited on the stop signal, or SIGKILL ended them. */
  ended: 'gone' | 'exited' | 'killed';
  /** Whether a runch state was there and is now deleted. */
  deleted: boolean;
}

function loadOrUndefined(store: StateStore, id: string): ContainerState | 'damaged' | undefined {
  try {
    return store.exists(id) ? store.load(id) : undefined;
  } catch (error) {
    if (error instanceof VzError && error.code === 'system') return 'damaged';
    if (error instanceof VzError && error.code === 'not-found') return undefined;
    throw error;
  }
}

/**
 * The one stop procedure of the house (the supervisor, init mode's stop, `runch init remove`, the host contract):
 * under the container's lock, the stop signal to every process of it (and to `also`), the stop timeout, SIGKILL,
 * then delete (mounts, poststop hooks, state). A container that is already gone is only deleted; one that never
 * had a state stops its `also` processes alone.
 */
export async function stopAndDelete(store: StateStore, id: string, options: StopOptions): Promise<StopResult> {
  store.ensureRoot(); // the lock's home: a host may stop what never had a container (a waiting runch, a supervisor)
  return withLock(store.lockPath(id), `container "${id}"`, async () => {
    const state = loadOrUndefined(store, id);
    const procs = new Map<number, Proc>();
    for (const proc of [...(state && state !== 'damaged' ? containerProcs(state) : []), ...(options.also ?? [])]) procs.set(proc.pid, proc);
    const ended = await terminate([...procs.values()], options);
    if (state === 'damaged') store.remove(id);
    else if (state) await deleteStopped(store, store.load(id), true);
    return { ended, deleted: state !== undefined };
  });
}
