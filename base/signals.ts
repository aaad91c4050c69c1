import { constants } from 'node:os';
import { VzError } from './errors.ts';

const names = constants.signals as Record<string, number>;

/** Why: accept KILL, SIGKILL or 9 as runc does; an unknown one lists the valid names. */
export function parseSignal(input: string | undefined, fallback = 'SIGTERM'): NodeJS.Signals {
  const raw = (input ?? fallback).trim().toUpperCase();
  if (/^\d+$/.test(raw)) {
    const found = Object.entries(names).find(([, number]) => number === Number(raw));
    if (found) return found[0] as NodeJS.Signals;
  } else {
    const name = raw.startsWith('SIG') ? raw : `SIG${raw}`;
    if (name in names) return name as NodeJS.Signals;
  }
  const valid = Object.keys(names)
    .map((name) => name.slice(3))
    .join(', ');
  throw new VzError('usage', `unknown signal "${input}": use one of ${valid}, or its number`);
}

export function signalNumber(signal: NodeJS.Signals): number {
  return names[signal];
}

/**
 * Calls `stop` on the first SIGINT or SIGTERM; a second one exits at once (128 + its number). Why `on`, never
 * `once`: execa's child cleanup (signal-exit) re-raises a signal when its own listener is the only one left, and a
 * `once` listener has removed itself by then, so a Ctrl-C while a child process ran killed vzmaster outright
 * instead of stopping it (console, watch).
 */
export function onStopSignal(stop: (signal: NodeJS.Signals) => void): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(128 + signalNumber(signal));
    stopping = true;
    stop(signal);
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}
