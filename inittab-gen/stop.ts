import { readFileSync } from 'node:fs';
import { deleteStopped } from '../runch/container/delete.ts';
import { signalPids } from '../runch/container/kill.ts';
import { containerPids } from '../runch/container/members.ts';
import { VzError } from '../base/errors.ts';
import { withLock } from '../base/lock.ts';
import { isAlive, listPids, processStartTime } from '../base/proc.ts';
import { parseSignal } from '../base/signals.ts';
import type { StateStore } from '../runch/state/store.ts';
import { SUPERVISOR_ID } from './mode.ts';
import { execNames } from './reference.ts';

/**
 * runch processes still waiting (backoff) to become container `id`: they must not exec after a stop. init names the
 * container by its id or, when that is too long for the process field, by its reference `@<inittab id>`.
 */
export function pendingExecPids(id: string, inittabId?: string): number[] {
  const names = execNames(id, inittabId);
  const found: number[] = [];
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').slice(0, -1);
    } catch {
      continue;
    }
    const at = argv.indexOf('init');
    if (at > 0 && argv[at + 1] === 'exec' && names.has(argv.at(-1)!)) found.push(pid);
    // Supervisor mode's entry: the supervisor itself (it stops its containers on TERM).
    else if (id === SUPERVISOR_ID && argv.includes('supervise') && argv.some((a) => /runch/.test(a))) found.push(pid);
  }
  return found;
}

async function waitAllGone(pids: { pid: number; start: number | undefined }[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (pids.every(({ pid, start }) => start === undefined || !isAlive(pid, start))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Stop container `id` for good: the stop signal to every process of it (and to a runch still in its backoff),
 * KILL after the timeout, then delete it (mounts, state). Init's own entry must already be gone or off.
 */
export async function stopContainer(store: StateStore, id: string, stopSignal: string, timeoutMs: number, inittabId?: string): Promise<void> {
  const signal = parseSignal(stopSignal);
  await withLock(store.lockPath(id), `container "${id}"`, async () => {
    const state = store.exists(id) ? store.load(id) : undefined;
    const targets = [...pendingExecPids(id, inittabId)];
    if (state && state.status !== 'stopped') targets.push(...containerPids(state));
    const tracked = [...new Set(targets)].map((pid) => ({ pid, start: processStartTime(pid) }));
    if (tracked.length > 0) {
      signalPids(tracked.map((t) => t.pid), signal);
      if (!(await waitAllGone(tracked, timeoutMs))) {
        signalPids(tracked.filter(({ pid, start }) => start !== undefined && isAlive(pid, start)).map((t) => t.pid), 'SIGKILL');
        if (!(await waitAllGone(tracked, 5_000))) throw new VzError('system', `container "${id}" did not die after SIGKILL`);
      }
    }
    if (state) await deleteStopped(store, store.load(id), true);
  });
}
