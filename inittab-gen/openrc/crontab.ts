import { VzError } from '../../base/errors.ts';
import { spliceBlock } from '../block.ts';
import type { InitEntry } from '../entry.ts';

/**
 * OpenRC has no clock: a schedule on an OpenRC host is a line in the crontab of the crond that runs there (Alpine's
 * busybox crond, started from the default runlevel), inside vz's marked block (block.ts), so every foreign byte of
 * the crontab stays as it was and removing the last schedule gives the file back byte for byte. Pure: the crond and
 * the crontab's text are read by crond.ts.
 */

/** A running busybox crond: its pid and the directory it reads crontabs from (its working directory). */
export interface Crond {
  pid: number;
  dir: string;
}

/** What the host has: a busybox crond, another cron daemon vz does not write for, or none. */
export type CrondFound = { kind: 'busybox'; crond: Crond } | { kind: 'other'; pid: number; binary: string } | { kind: 'none' };

/** The crontab vz edits and its text now (undefined: no such file yet). */
export interface Crontab {
  path: string;
  text?: string;
}

const FIX = 'or set vz_mode: supervisor for this host';

/** The one line a schedule is refused with when this host's cron cannot run it. */
export function noCrond(entry: InitEntry, found: CrondFound): VzError {
  const what = `schedule "${entry.schedule}" of "${entry.id}"`;
  if (found.kind === 'other')
    return new VzError('invalid-config', `${what} needs busybox crond on OpenRC, and the cron daemon running here (pid ${found.pid}, ${found.binary}) is another one vz does not write for: run busybox crond instead (rc-update add crond default), ${FIX}`);
  return new VzError('invalid-config', `${what} needs a running crond on OpenRC, and none runs: start busybox crond from the default runlevel (rc-update add crond default; rc-service crond start), ${FIX}`);
}

const RANGES: [string, number, number][] = [
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day of the month', 1, 31],
  ['month', 1, 12],
  // busybox crond reads 0-6 only (7, Sunday elsewhere, is a parse error there).
  ['day of the week', 0, 6],
];

/**
 * The 5 cron fields as busybox crond reads them exactly as vz's supervisor does: numbers, `*`, lists, ranges,
 * `*\/N` and `A-B/N`. A seconds field (cron counts minutes), names and `A/N` (busybox: A only; elsewhere A, A+N...)
 * are refused in one line.
 */
export function crondSchedule(schedule: string): string {
  const fields = schedule.trim().split(/\s+/);
  const refuse = (why: string) => new VzError('invalid-config', `schedule "${schedule}" cannot run under crond (${why}): change the schedule, ${FIX}`);
  if (fields.length === 6) throw refuse('cron counts minutes, not seconds: give 5 fields');
  if (fields.length !== 5) throw refuse('give 5 fields');
  fields.forEach((text, i) => {
    const [name, min, max] = RANGES[i];
    const number = (part: string) => /^\d+$/.test(part) && Number(part) >= min && Number(part) <= max;
    for (const part of text.split(',')) {
      const [range, step, extra] = part.split('/');
      const stepOk = step === undefined || (/^\d+$/.test(step) && Number(step) > 0);
      const [a, b, more] = range.split('-');
      const rangeOk = range === '*' || (more === undefined && number(a) && (b === undefined ? step === undefined : number(b) && Number(a) <= Number(b)));
      if (extra !== undefined || !stepOk || !rangeOk) throw refuse(`${name} "${text}": use numbers ${min}-${max}, *, lists, ranges, */N and A-B/N`);
    }
  });
  return fields.join(' ');
}

/** Where a run still going keeps its lock: the next firing finds it held and skips (no overlap, as systemd's timer). */
export const cronLock = (id: string) => `/run/vz-${id}.cron.lock`;

/**
 * An entry's crontab lines: the marker (block.ts's `# vz: <id>`) and the schedule running the entry's launcher
 * under `flock -n`. The words are vz's own safe words (process-field.ts); `%` ends a crontab command, so it is refused.
 */
export function cronLines(entry: InitEntry, words: string[], flock: string): string[] {
  const command = [flock, '-n', cronLock(entry.id), ...words];
  const bad = command.find((w) => !/^[A-Za-z0-9_./,+@-]+$/.test(w));
  if (bad !== undefined) throw new VzError('invalid-config', `"${bad}" cannot go into a crontab line as is: use paths of letters, digits and ._,+@- only`);
  return [`# vz: ${entry.id}`, `${crondSchedule(entry.schedule ?? '')} ${command.join(' ')}`];
}

/** The crontab with vz's block holding exactly these lines (no block at all when there are none). */
export function renderCrontab(crontab: Crontab, lines: string[]): string {
  return spliceBlock(crontab.text ?? '', lines, crontab.path);
}
