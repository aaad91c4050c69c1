/**
 * Restart pacing for init mode, decided by runch each time init spawns it, from a tally kept in the state dir.
 * Pure: the clock and the tally come in, the delay and the visible state go out.
 */
export interface Tally {
  /** When init spawned runch for this container (epoch ms), recent ones only. */
  spawns: number[];
  /** When runch last exec'd the container; undefined when the last spawn never got that far. */
  lastExec?: number;
  /** Runs in a row that ended before RESET_AFTER_MS. */
  failures: number;
  state: 'running' | 'backoff' | 'crash-loop' | 'stopped';
  /** While waiting: when the container is exec'd. */
  nextTry?: number;
  lastExit?: number;
}

/** A run this long was stable: the next failure starts the backoff over (Docker's 10 s). */
export const RESET_AFTER_MS = 10_000;
/** sysvinit disables an entry spawned 10 times within 120 s; vz keeps every 120 s window at 8 spawns at most. */
export const INIT_WINDOW_MS = 120_000;
export const MAX_SPAWNS_IN_WINDOW = 8;
/** Failures in a row from which the state reads crash-loop (the delay is then near its cap). */
export const CRASH_LOOP_AFTER = 5;

export interface Decision {
  delayMs: number;
  tally: Tally;
}

export function decide(previous: Tally | undefined, now: number, opts: { baseMs: number; capMs: number; jitter?: number }): Decision {
  let failures = 0;
  if (previous && previous.spawns.length > 0) {
    const ran = previous.lastExec === undefined ? 0 : now - previous.lastExec;
    failures = ran >= RESET_AFTER_MS ? 0 : previous.failures + 1;
  }
  const spawns = [...(previous?.spawns ?? []).filter((s) => s > now - 2 * INIT_WINDOW_MS), now];
  const backoff = failures === 0 ? 0 : Math.min(opts.capMs, opts.baseMs * 2 ** (failures - 1));
  const jittered = Math.round(backoff * (1 + 0.1 * (opts.jitter ?? Math.random())));
  // The next spawn must fall more than a window after the spawn 8 back, whatever the backoff says.
  const windowMs = spawns.length >= MAX_SPAWNS_IN_WINDOW ? spawns[spawns.length - MAX_SPAWNS_IN_WINDOW] + INIT_WINDOW_MS + 1_000 - now : 0;
  const delayMs = Math.max(0, jittered, windowMs);
  const state = failures >= CRASH_LOOP_AFTER || windowMs > jittered ? 'crash-loop' : delayMs > 0 ? 'backoff' : 'running';
  return {
    delayMs,
    tally: { spawns: spawns.slice(-2 * MAX_SPAWNS_IN_WINDOW), failures, state, nextTry: delayMs > 0 ? now + delayMs : undefined },
  };
}
