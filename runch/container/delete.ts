import { VzError } from '../../base/errors.ts';
import { withLock } from '../../base/lock.ts';
import type { ContainerState, StateStore } from '../state/store.ts';
import { runHooksWarning } from './hooks.ts';
import { containerProcs, endLeftovers, terminate } from './terminate.ts';
import { unmountUnder } from './mounts.ts';
import { canDelete, refuse } from './status.ts';

/**
 * Remove what a stopped container left: its leftover processes (TERM, timeout, KILL), host mounts (no namespace),
 * state; --force kills a live one first.
 */
export async function deleteStopped(store: StateStore, state: ContainerState, force: boolean): Promise<void> {
  if (canDelete(state.status)) {
    // Its main process is gone, not necessarily all of it: a daemon's worker or a background job ends here.
    await endLeftovers(state).catch((error: Error) => {
      throw new VzError('system', `container "${state.id}": ${error.message}`);
    });
  } else {
    if (!force) refuse('delete', state.id, state.status);
    // runc's delete --force: SIGKILL at once (a graceful stop is stopAndDelete's, in stop.ts).
    await terminate(containerProcs(state), { signal: 'SIGKILL', timeoutMs: 5_000, killWaitMs: 0 }).catch((error: Error) => {
      throw new VzError('system', `container "${state.id}" (pid ${state.pid}): ${error.message}`);
    });
  }
  // Whatever the state says: a mount left on the host under the rootfs (a namespace that could not be had after
  // all) would make the next create fail (EROFS on a read-only bind). With a namespace the list is simply empty.
  await unmountUnder(state.rootfs);
  await runHooksWarning('poststop', state.hooks, { ...state, status: 'stopped' });
  store.remove(state.id);
}

/** runtime-spec `delete`. A damaged state is removed with --force, never silently. */
export async function deleteContainer(store: StateStore, id: string, force: boolean): Promise<void> {
  await withLock(store.lockPath(id), `container "${id}"`, async () => {
    let state: ContainerState;
    try {
      state = store.load(id);
    } catch (error) {
      if (force && error instanceof VzError && error.code === 'system') {
        store.remove(id);
        return;
      }
      if (force && error instanceof VzError && error.code === 'not-found') return;
      throw error;
    }
    await deleteStopped(store, state, force);
  });
}
