import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../base/atomic.ts';
import type { StateStore } from '../runch/state/store.ts';
import { decide, EMPTY_TALLY, type PolicyConfig, type Tally as PolicyTally } from '../supervisor/policy/index.ts';

/**
 * Init mode's respawn tally: a few lines of numbers beside state.json (`cat` reads it, and so does the compiled
 * launcher, inittab-gen/launcher.ts; `runch init status` shows it;
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
  return join(store.dir(id), 'respawn');
}

/**
 * The tally's text, read by the compiled launcher with plain `read` (no JSON, no eval): a line of numbers and the
 * state word, then the spawn times, then the death times (epoch ms):
 *   1 <state> <lastExec|0> <nextTry|0> <restarts> <streak> <loops> <waiter pid|0> <waiter start time|0>
 *   <spawn> <spawn>...
 *   <death> <death>...
 */
export function renderTally(tally: Tally): string {
  const n = (value: number | undefined) => String(Math.max(0, Math.round(value ?? 0)));
  const head = [1, tally.state, n(tally.lastExec), n(tally.nextTry), n(tally.policy.restarts), n(tally.policy.streak), n(tally.policy.loops), n(tally.waiter?.pid), n(tally.waiter?.startTime)];
  return `${head.join(' ')}\n${tally.spawns.map(n).join(' ')}\n${tally.policy.deaths.map(n).join(' ')}\n`;
}

const NUMBERS = /^[0-9 ]*$/;

export function parseTally(text: string): Tally | undefined {
  const [head = '', spawnLine = '', deathLine = ''] = text.split('\n');
  const [version, state, ...rest] = head.split(' ');
  if (version !== '1' || (state !== 'running' && state !== 'backoff' && state !== 'crash-loop')) return undefined;
  if (rest.length !== 7 || !NUMBERS.test(rest.join(' ')) || !NUMBERS.test(spawnLine) || !NUMBERS.test(deathLine)) return undefined;
  const [lastExec, nextTry, restarts, streak, loops, waiterPid, waiterStart] = rest.map(Number);
  const list = (line: string) => line.split(' ').filter(Boolean).map(Number);
  return {
    spawns: list(spawnLine),
    lastExec: lastExec || undefined,
    nextTry: nextTry || undefined,
    state,
    policy: { restarts, streak, loops, deaths: list(deathLine) },
    waiter: waiterPid ? { pid: waiterPid, startTime: waiterStart } : undefined,
  };
}

export function readTally(store: StateStore, id: string): Tally | undefined {
  try {
    return parseTally(readFileSync(tallyPath(store, id), 'utf8'));
  } catch {
    return undefined;
  }
}

export async function writeTally(store: StateStore, id: string, tally: Tally): Promise<void> {
  mkdirSync(store.dir(id), { recursive: true, mode: 0o711 });
  await writeAtomic(tallyPath(store, id), renderTally(tally));
}
