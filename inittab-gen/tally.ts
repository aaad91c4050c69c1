import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../base/atomic.ts';
import type { StateStore } from '../runch/state/store.ts';
import { decide, EMPTY_TALLY, type PolicyConfig, type Tally as PolicyTally } from '../supervisor/policy/index.ts';

/**
 * Init mode's respawn tally: one line of JSON beside state.json (`cat` reads it; `runch init status` shows it;
 * `runch delete` removes it with the rest). Nothing of vz stays resident in init mode, so what the supervisor keeps
 * in memory between runs is kept here between spawns.
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
  /** While waiting: the `runch init exec` that waits (pid + start time), so a stop ends it without a /proc scan. */
  waiter?: { pid: number; startTime: number };
}

/** sysvinit disables an entry spawned 10 times within 120 s; vz keeps every 120 s window to 8 spawns at most. */
export const INIT_WINDOW_MS = 120_000;
export const MAX_SPAWNS_IN_WINDOW = 8;

/** The restart timing init mode decides with: the supervisor's own, plus init's spawn limit. */
export function initPolicy(config: PolicyConfig): PolicyConfig {
  return { ...config, startLimit: MAX_SPAWNS_IN_WINDOW, startWindowMs: INIT_WINDOW_MS };
}

export interface SpawnDecision {
  delayMs: number;
  tally: Tally;
}

/**
 * At each spawn (the previous run ended just now: init respawns at once, busybox after ~1 s): the one restart
 * decision (supervisor/policy) on what the tally knows. Init reaped the last run, not runch, so its exit status is
 * unknown: it counts as a failure, and the entry restarts as `always` would.
 */
export function decideSpawn(previous: Tally | undefined, now: number, config: PolicyConfig, random: () => number = Math.random): SpawnDecision {
  const spawns = [...(previous?.spawns ?? []).filter((s) => s > now - 2 * INIT_WINDOW_MS), now].slice(-2 * MAX_SPAWNS_IN_WINDOW);
  if (!previous || previous.spawns.length === 0) return { delayMs: 0, tally: { spawns, policy: EMPTY_TALLY, state: 'running' } };
  const ranMs = previous.lastExec === undefined ? 0 : Math.max(0, now - previous.lastExec);
  const exit = { code: null, signal: null, ranMs };
  const decision = decide({ policy: 'always', stopSignal: 'SIGTERM', exit, tally: previous.policy, now, starts: spawns }, initPolicy(config), random);
  const delayMs = decision.restart ? decision.delayMs : 0;
  const state = delayMs === 0 ? 'running' : decision.state === 'crash-loop' ? 'crash-loop' : 'backoff';
  return { delayMs, tally: { spawns, policy: decision.tally, state, nextTry: delayMs > 0 ? now + delayMs : undefined } };
}

export function tallyPath(store: StateStore, id: string): string {
  return join(store.dir(id), 'respawn.json');
}

export function readTally(store: StateStore, id: string): Tally | undefined {
  try {
    const data = JSON.parse(readFileSync(tallyPath(store, id), 'utf8')) as Tally;
    return Array.isArray(data.spawns) && data.policy && Array.isArray(data.policy.deaths) ? data : undefined;
  } catch {
    return undefined;
  }
}

export async function writeTally(store: StateStore, id: string, tally: Tally): Promise<void> {
  mkdirSync(store.dir(id), { recursive: true, mode: 0o711 });
  await writeAtomic(tallyPath(store, id), `${JSON.stringify(tally)}\n`);
}
