import { decide, EMPTY_TALLY, type PolicyConfig, type Tally as PolicyTally } from '../supervisor/policy/index.ts';

/**
 * Restart pacing for init mode, decided by runch each time init spawns it: the supervisor's own policy (backoff,
 * crash-loop hold) plus one guard init needs. Pure: the clock and the tally in, the delay and the visible state out.
 */
export interface Tally {
  /** When init spawned runch for this container (epoch ms), recent ones only. */
  spawns: number[];
  /** When runch last exec'd the container; undefined when the last spawn never got that far. */
  lastExec?: number;
  policy: PolicyTally;
  state: 'running' | 'backoff' | 'crash-loop';
  /** While waiting: when the container is exec'd. */
  nextTry?: number;
}

/** sysvinit disables an entry spawned 10 times within 120 s; vz keeps every 120 s window to 8 spawns at most. */
export const INIT_WINDOW_MS = 120_000;
export const MAX_SPAWNS_IN_WINDOW = 8;

export interface Decision {
  delayMs: number;
  tally: Tally;
}

/** Called at each spawn: the previous run ended just now (init respawns at once; busybox after ~1 s). */
export function decideSpawn(previous: Tally | undefined, now: number, config: PolicyConfig, random: () => number = Math.random): Decision {
  const spawns = [...(previous?.spawns ?? []).filter((s) => s > now - 2 * INIT_WINDOW_MS), now].slice(-2 * MAX_SPAWNS_IN_WINDOW);
  if (!previous || previous.spawns.length === 0) return { delayMs: 0, tally: { spawns, policy: EMPTY_TALLY, state: 'running' } };
  // Init reaped the last run, not us: its exit code is unknown, so init mode restarts as `always` would.
  const ranMs = previous.lastExec === undefined ? 0 : Math.max(0, now - previous.lastExec);
  const decision = decide({ policy: 'always', stopSignal: 'SIGTERM', exit: { code: null, signal: null, ranMs }, tally: previous.policy, now }, config, random);
  const policyDelay = decision.restart ? decision.delayMs : 0;
  // The next spawn must come more than a window after the spawn 8 back, whatever the policy says.
  const windowMs = spawns.length >= MAX_SPAWNS_IN_WINDOW ? spawns[spawns.length - MAX_SPAWNS_IN_WINDOW] + INIT_WINDOW_MS + 1_000 - now : 0;
  const delayMs = Math.max(0, policyDelay, windowMs);
  const state = (decision.restart && decision.state === 'crash-loop') || windowMs > policyDelay ? 'crash-loop' : delayMs > 0 ? 'backoff' : 'running';
  return { delayMs, tally: { spawns, policy: decision.tally, state, nextTry: delayMs > 0 ? now + delayMs : undefined } };
}
