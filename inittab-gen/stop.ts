import { isAlive } from '../base/proc.ts';
import { parseSignal } from '../base/signals.ts';
import { stopAndDelete } from '../runch/container/stop.ts';
import type { Proc } from '../runch/container/terminate.ts';
import type { StateStore } from '../runch/state/store.ts';
import { readState, stateDir } from '../supervisor/state/file.ts';
import { SUPERVISOR_ID } from './mode.ts';
import { readTally } from './tally.ts';

/**
 * The processes of entry `id` that are not (yet) its container, each as its recorded pid and start time (no /proc
 * scan): a `runch init exec` waiting out its backoff leaves itself in the respawn tally; supervisor mode's entry is
 * the supervisor, which leaves itself in its state file (it stops its containers on TERM).
 */
export function waitingProcs(store: StateStore, id: string): Proc[] {
  const found: Proc[] = [];
  const waiter = readTally(store, id)?.waiter;
  if (waiter && isAlive(waiter.pid, waiter.startTime)) found.push(waiter);
  if (id === SUPERVISOR_ID) {
    const supervisor = readState(stateDir())?.supervisor;
    if (supervisor && isAlive(supervisor.pid, supervisor.startTime)) found.push({ pid: supervisor.pid, startTime: supervisor.startTime });
  }
  return found;
}

/**
 * Stop container `id` for good (init mode): the one stop procedure (runch/container/stop.ts) on its processes and
 * on a runch still waiting to become it: stop signal, timeout, KILL, delete. Init's own entry must already be gone
 * or off. `inittabId` is kept for callers: the waiting runch is found by its record, whatever init named it.
 */
export async function stopContainer(store: StateStore, id: string, stopSignal: string, timeoutMs: number, _inittabId?: string): Promise<void> {
  await stopAndDelete(store, id, { signal: parseSignal(stopSignal), timeoutMs, also: waitingProcs(store, id) });
}
