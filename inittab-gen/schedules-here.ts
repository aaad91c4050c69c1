import type { InitSystem } from './detect.ts';
import { findCrond } from './openrc/crond.ts';

/**
 * What runs a schedule (a cron entry) in init mode on this host: systemd's timers; on OpenRC the busybox crond that
 * runs now (none, or another cron daemon, and apply refuses a schedule in one line); sysvinit and busybox init have
 * no clock (supervisor mode runs schedules everywhere).
 */
export type SchedulesHere =
  | { by: 'systemd-timers' }
  | { by: 'busybox-crond'; pid: number; crontabs: string }
  | { by: 'none'; reason: string };

export function schedulesHere(kind: InitSystem['kind']): SchedulesHere {
  if (kind === 'systemd') return { by: 'systemd-timers' };
  if (kind !== 'openrc') return { by: 'none', reason: `${kind} has no clock: set vz_mode: supervisor for schedules` };
  const crond = findCrond();
  if (crond.kind === 'busybox') return { by: 'busybox-crond', pid: crond.crond.pid, crontabs: crond.crond.dir };
  if (crond.kind === 'other') return { by: 'none', reason: `the cron daemon running (pid ${crond.pid}, ${crond.binary}) is not busybox crond: run busybox crond (rc-update add crond default)` };
  return { by: 'none', reason: 'no crond runs: rc-update add crond default; rc-service crond start' };
}

export function schedulesText(s: SchedulesHere): string {
  if (s.by === 'systemd-timers') return 'systemd timers';
  if (s.by === 'busybox-crond') return `busybox crond (pid ${s.pid}, crontabs in ${s.crontabs})`;
  return `none (${s.reason})`;
}
