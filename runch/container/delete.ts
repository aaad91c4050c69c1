import { VzError } from '../../base/errors.ts';
import { withLock } from '../../base/lock.ts';
import { isAlive } from '../../base/proc.ts';
import type { ContainerState, StateStore } from '../state/store.ts';
import { runHooksWarning } from './hooks.ts';
import { containerPids } from './members.ts';
import { signalPids } from './kill.ts';
import { unmountUnder } from './mounts.ts';
import { canDelete, refuse } from './status.ts';

async function waitGone(state: ContainerState, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(state.pid, state.startTime)) {
    if (Date.now() > deadline) throw new VzError('system', `container "${state.id}" (pid ${state.pid}) did not die after SIGKILL`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Remove what a stopped container left: host mounts (no namespace), state; --force kills it first. */
export async function deleteStopped(store: StateStore, state: ContainerState, force: boolean): Promise<void> {
  if (!canDelete(state.status)) {
    if (!force) refuse('delete', state.id, state.status);
    if (state.pid) signalPids(containerPids(state), 'SIGKILL');
    await waitGone(state, 5_000);
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
