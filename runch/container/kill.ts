import { withLock } from '../../base/lock.ts';
import { parseSignal } from '../../base/signals.ts';
import type { ContainerState, StateStore } from '../state/store.ts';
import { containerPids } from './members.ts';
import { canKill, refuse } from './status.ts';

/** Send a signal; ESRCH means the process is already gone, which is what a kill wants. */
export function signalPids(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

export function signalContainer(state: ContainerState, signal: NodeJS.Signals, all: boolean): void {
  signalPids(all ? containerPids(state) : [state.pid], signal);
}

/** runtime-spec `kill`: a signal to the container's process (--all: to every process of it). */
export async function killContainer(store: StateStore, id: string, signalName: string | undefined, all: boolean): Promise<void> {
  const signal = parseSignal(signalName);
  await withLock(store.lockPath(id), `container "${id}"`, async () => {
    const state = store.load(id);
    if (!canKill(state.status)) refuse('kill', id, state.status);
    signalContainer(state, signal, all);
  });
}
