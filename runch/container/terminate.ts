import { VzError } from '../../base/errors.ts';
import { isAlive, processStartTime } from '../../base/proc.ts';
import type { ContainerState } from '../state/store.ts';
import { signalPids } from './kill.ts';
import { containerPids } from './members.ts';

/** One process for its whole life: a pid alone can be reused, pid + kernel start time cannot. */
export interface Proc {
  pid: number;
  startTime: number;
}

export interface TerminateOptions {
  /** The stop signal (the entry's, or TERM). */
  signal: NodeJS.Signals;
  /** How long the processes get to exit after it, before SIGKILL. */
  timeoutMs: number;
  /** How long after SIGKILL before giving up with an error (default 5 s). */
  killWaitMs?: number;
  /** Resolves when the main process exits (a parent's exit event): the wait then ends without the next poll. */
  exited?: Promise<unknown>;
  /** Called when the timeout passed and SIGKILL is sent (for a log line). */
  onKill?: () => void;
}

const POLL_MS = 20;

/** How long leftovers of a run whose main process is gone get between TERM and KILL (delete, a restart, init mode). */
export const LEFTOVER_TIMEOUT_MS = 3_000;

/**
 * End what a run left behind once its main process is gone (a worker re-parented to init, a shell's background job):
 * TERM, LEFTOVER_TIMEOUT_MS, KILL. Nothing to do (no process) is the usual case and costs one /proc scan.
 */
export async function endLeftovers(state: ContainerState, timeoutMs = LEFTOVER_TIMEOUT_MS): Promise<'gone' | 'exited' | 'killed'> {
  let ended: 'gone' | 'exited' | 'killed' = 'gone';
  // A process forked while its parent was being ended is not in the first scan: scan again, a few rounds at most.
  for (let round = 0; round < 3; round++) {
    const procs = containerProcs(state);
    if (procs.length === 0) break;
    const result = await terminate(procs, { signal: 'SIGTERM', timeoutMs });
    if (ended !== 'killed') ended = result === 'gone' ? ended : result;
  }
  return ended;
}

/**
 * Every live process of a container, each with its start time: its main process while it lives, and every other
 * (members.ts), also after the main process died (an orphaned worker still serving is the container's).
 */
export function containerProcs(state: ContainerState): Proc[] {
  return containerPids(state).flatMap((pid) => {
    const startTime = pid === state.pid ? state.startTime : processStartTime(pid);
    return startTime === undefined ? [] : [{ pid, startTime }];
  });
}

const alive = (procs: Proc[]) => procs.filter(({ pid, startTime }) => isAlive(pid, startTime));

async function waitGone(procs: Proc[], timeoutMs: number, exited?: Promise<unknown>): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let wake = exited;
  for (;;) {
    if (alive(procs).length === 0) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(POLL_MS, left));
      void wake?.then(() => {
        wake = undefined; // once: an exit already seen must not wake every later round at once
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/**
 * The stop of a set of processes, found by their recorded pid and start time (never by a command-line scan): the
 * stop signal, up to `timeoutMs` for them to exit, SIGKILL to those left, then up to `killWaitMs` more. Returns how
 * they ended; throws when some survive SIGKILL (a process stuck in the kernel: the caller says so).
 */
export async function terminate(procs: Proc[], options: TerminateOptions): Promise<'gone' | 'exited' | 'killed'> {
  const living = alive(procs);
  if (living.length === 0) return 'gone';
  signalPids(living.map((p) => p.pid), options.signal);
  if (await waitGone(procs, options.timeoutMs, options.exited)) return 'exited';
  options.onKill?.();
  signalPids(alive(procs).map((p) => p.pid), 'SIGKILL');
  if (await waitGone(procs, options.killWaitMs ?? 5_000)) return 'killed';
  const left = alive(procs).map((p) => p.pid);
  throw new VzError('system', `process${left.length > 1 ? 'es' : ''} ${left.join(', ')} did not die after SIGKILL (stuck in the kernel?): check "cat /proc/${left[0]}/stack"`);
}
