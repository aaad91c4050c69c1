import type { RestartPolicyName as RestartPolicy } from '../../base/restart-policy.ts';
import type { PolicyConfig } from './config.ts';

/** The death tally of one entry, kept in the supervisor's state file so a supervisor restart does not forget it. */
export interface Tally {
  /** Restarts performed (shown by `runch status`). */
  restarts: number;
  /** Deaths since the last stable run. */
  streak: number;
  /** Times (ms) of the recent deaths without a stable run, inside the crash-loop window. */
  deaths: number[];
  /** Consecutive crash-loop holds (the hold doubles with each). */
  loops: number;
}

export const EMPTY_TALLY: Tally = { restarts: 0, streak: 0, deaths: [], loops: 0 };

export interface Exit {
  code: number | null;
  signal: string | null;
  /** How long that run lasted. */
  ranMs: number;
}

export type Decision =
  | { restart: true; state: 'backoff' | 'crash-loop'; delayMs: number; tally: Tally; reason: string }
  | { restart: false; state: 'exited' | 'stopped'; tally: Tally; reason: string };

export function failed(exit: Exit): boolean {
  return exit.signal !== null || exit.code !== 0;
}

/** Signals a person uses to stop a program: with unless-stopped, a death by one of them means "leave it stopped". */
const MANUAL_STOPS = new Set(['SIGTERM', 'SIGINT']);

/** Does the policy want another run after this exit? */
export function wantsRestart(policy: RestartPolicy, max: number | undefined, exit: Exit, tally: Tally, stopSignal: string): { yes: boolean; reason: string; stopped?: boolean } {
  switch (policy) {
    case 'no':
      return { yes: false, reason: 'restart=no' };
    case 'always':
      return { yes: true, reason: 'restart=always' };
    case 'unless-stopped':
      if (exit.signal !== null && (MANUAL_STOPS.has(exit.signal) || exit.signal === stopSignal))
        return { yes: false, stopped: true, reason: `stopped by ${exit.signal} (restart=unless-stopped)` };
      return { yes: true, reason: 'restart=unless-stopped' };
    case 'on-failure':
      if (!failed(exit)) return { yes: false, reason: 'exited 0 (restart=on-failure)' };
      if (max !== undefined && tally.streak > max) return { yes: false, reason: `${max} restarts failed (restart=on-failure:${max})` };
      return { yes: true, reason: 'failed (restart=on-failure)' };
  }
}

/** Capped exponential backoff for the n-th death in a row (n >= 1), with jitter from random() in [0, 1). */
export function backoffDelay(streak: number, config: PolicyConfig, random: () => number): number {
  if (streak <= 1) return config.firstDelayMs;
  const raw = Math.min(config.capMs, config.baseMs * config.factor ** (streak - 2));
  const jittered = raw * (1 + config.jitter * (2 * random() - 1));
  return Math.round(Math.min(config.capMs, Math.max(0, jittered)));
}

/** The hold of a crash loop: loopHoldMs, doubling per consecutive loop, capped. */
export function loopHold(loops: number, config: PolicyConfig): number {
  return Math.min(config.loopHoldMaxMs, config.loopHoldMs * 2 ** Math.max(0, loops - 1));
}

/** A second of margin past the window: init's clock and ours differ by the time a spawn takes. */
const START_WINDOW_MARGIN_MS = 1_000;

/** The wait the start limit imposes: the next start comes more than a window after the start `startLimit` back. */
export function startLimitDelay(starts: number[] | undefined, now: number, config: PolicyConfig): number {
  if (!starts || config.startLimit <= 0 || starts.length < config.startLimit) return 0;
  return Math.max(0, starts[starts.length - config.startLimit] + config.startWindowMs + START_WINDOW_MARGIN_MS - now);
}

export interface DecideInput {
  policy: RestartPolicy;
  max?: number;
  stopSignal: string;
  exit: Exit;
  tally: Tally;
  now: number;
  /** Recent start times, this one included, for the start limit (init mode's spawns); omitted: no limit applies. */
  starts?: number[];
}

/**
 * The restart decision after one exit, the one shared by the supervisor, init mode and `runch run --restart`: pure,
 * from plain data. A stable run (>= stableMs) forgets the past; the death is tallied; enough quick deaths inside the
 * window (or any quick death right after a crash-loop hold) make a crash loop with a long hold instead of a short
 * backoff; a start limit, when configured, can only lengthen the wait (shown as a crash loop when it does).
 */
export function decide(input: DecideInput, config: PolicyConfig, random: () => number = Math.random): Decision {
  const { exit, now } = input;
  const stable = exit.ranMs >= config.stableMs;
  const before = stable ? { ...input.tally, streak: 0, deaths: [], loops: 0 } : input.tally;
  const deaths = [...before.deaths, now].filter((time) => now - time <= config.loopWindowMs).slice(-Math.max(1, config.loopDeaths));
  const tally: Tally = { ...before, streak: before.streak + 1, deaths };
  const wanted = wantsRestart(input.policy, input.max, exit, tally, input.stopSignal);
  if (!wanted.yes) return { restart: false, state: wanted.stopped ? 'stopped' : 'exited', tally, reason: wanted.reason };
  const limitMs = startLimitDelay(input.starts, now, config);
  if (before.loops > 0 || deaths.length >= config.loopDeaths) {
    const loops = before.loops + 1;
    return {
      restart: true,
      state: 'crash-loop',
      delayMs: Math.max(loopHold(loops, config), limitMs),
      tally: { ...tally, loops, deaths: [] },
      reason: `${before.loops > 0 ? 'died again after a crash-loop hold' : `${deaths.length} deaths within ${config.loopWindowMs / 1000} s`}`,
    };
  }
  const backoffMs = backoffDelay(tally.streak, config, random);
  if (limitMs > backoffMs)
    return { restart: true, state: 'crash-loop', delayMs: limitMs, tally, reason: `${config.startLimit} starts within ${config.startWindowMs / 1000} s` };
  return { restart: true, state: 'backoff', delayMs: backoffMs, tally, reason: wanted.reason };
}
