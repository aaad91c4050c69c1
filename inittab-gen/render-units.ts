import { VzError } from '../base/errors.ts';
import { parseSignal } from '../base/signals.ts';
import { DEFAULT_POLICY, type PolicyConfig } from '../supervisor/policy/index.ts';
import type { InitEntry } from './entry.ts';
import { cronToOnCalendar } from './systemd/calendar.ts';
import { INIT_WINDOW_MS, MAX_SPAWNS_IN_WINDOW } from './tally.ts';

/** What a unit or service needs beyond the entry: the words init runs (process-field.ts) and the container's log. */
export interface UnitInput {
  words: string[];
  log: string;
  policy?: PolicyConfig;
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** systemd reads `%` as a specifier and a blank as a separator: vz's words and paths hold neither after this. */
function unitWord(word: string, field: string): string {
  if (!/^[A-Za-z0-9_./,+@%-]+$/.test(word))
    throw new VzError('invalid-config', `"${word}" cannot go into a systemd unit's ${field} as is: use paths of letters, digits and ._,+@%- only`);
  return word.replaceAll('%', '%%');
}

/**
 * The bound on a restart loop that never reaches the launcher's backoff. RestartSec=0 lets the launcher decide every
 * delay, and the launcher starts at most MAX_SPAWNS_IN_WINDOW times in any INIT_WINDOW_MS (tally.ts), so systemd's
 * limit, two starts above that, never fights it. A launcher that fails before it can wait (no state directory, a
 * full disk) would otherwise be respawned at once forever: systemd stops it after this burst ("start-limit-hit",
 * shown by vzmaster status; a start resets it).
 */
export const SPIN_LIMIT = { intervalSec: INIT_WINDOW_MS / 1000, burst: MAX_SPAWNS_IN_WINDOW + 2 };

/** systemd's restart policy and start limit for the entry's restart policy (policy-table.ts says why each). */
function systemdRestart(entry: InitEntry): { restart: string; interval: string; burst?: number } {
  // A scheduled run is started by its timer; a run that is still going is not started again (no overlap).
  if (entry.action === 'once' || entry.action === 'cron') return { restart: 'no', interval: '0' };
  const spin = { interval: String(SPIN_LIMIT.intervalSec), burst: SPIN_LIMIT.burst };
  if (entry.restart === 'on-failure')
    // N restarts are N+1 starts; an infinite interval never forgets them (systemctl start resets: reset-failed).
    return entry.restartMax === undefined ? { restart: 'on-failure', ...spin } : { restart: 'on-failure', interval: 'infinity', burst: entry.restartMax + 1 };
  return { restart: 'always', ...spin };
}

/**
 * One unit per entry, not a template: each entry's stop signal, timeout and restart policy differ, and a template
 * would need a drop-in per instance for them anyway. `off` and `cron` get none (off: no unit at all, so neither a
 * daemon-reload nor a reboot starts it).
 */
export function systemdUnit(entry: InitEntry, input: UnitInput): string | undefined {
  if (entry.action === 'off') return undefined;
  const policy = input.policy ?? DEFAULT_POLICY;
  const restart = systemdRestart(entry);
  const log = unitWord(input.log, 'StandardOutput');
  return [
    '# written by "runch init apply"; edit the table, not this file',
    '[Unit]',
    `Description=vz container ${entry.id}`,
    'After=network.target',
    `StartLimitIntervalSec=${restart.interval}`,
    ...(restart.burst === undefined ? [] : [`StartLimitBurst=${restart.burst}`]),
    '',
    '[Service]',
    // The launcher execs the container in its own place: the main pid is the container's, its exit code the app's.
    'Type=simple',
    `ExecStart=${input.words.map((w) => unitWord(w, 'ExecStart')).join(' ')}`,
    `Restart=${restart.restart}`,
    `RestartSec=${Math.max(0, Math.round(policy.firstDelayMs))}ms`,
    // vz's log files, so `runch logs` and `vzmaster logs` read the same place under every init.
    `StandardOutput=append:${log}`,
    `StandardError=append:${log}`,
    `KillSignal=${parseSignal(entry.stopSignal)}`,
    `TimeoutStopSec=${seconds(entry.stopTimeoutMs)}`,
    // The stop signal to the container's main process (as `docker stop`), KILL to whatever of its cgroup is left.
    'KillMode=mixed',
    '',
    // A scheduled entry's service is started by its timer only (the timer is what is enabled).
    ...(entry.action === 'cron' ? [] : ['[Install]', 'WantedBy=multi-user.target']),
    '',
  ].join('\n');
}

/** The timer of a cron entry: OnCalendar= from its schedule (calendar.ts refuses what has no exact form). */
export function systemdTimer(entry: InitEntry): string | undefined {
  if (entry.action !== 'cron' || entry.schedule === undefined) return undefined;
  return [
    '# written by "runch init apply"; edit the table, not this file',
    '[Unit]',
    `Description=vz schedule of ${entry.id}`,
    '',
    '[Timer]',
    `OnCalendar=${cronToOnCalendar(entry.schedule)}`,
    // systemd's default accuracy is a minute: a cron schedule means its second.
    'AccuracySec=1s',
    `Unit=vz-${entry.id}.service`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

/** An OpenRC service: supervise-daemon respawns it (always), start-stop-daemon runs it once (restart no). */
export function openrcService(entry: InitEntry, input: UnitInput): string | undefined {
  if (entry.action !== 'respawn' && entry.action !== 'once') return undefined;
  const policy = input.policy ?? DEFAULT_POLICY;
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  const signal = parseSignal(entry.stopSignal).slice(3);
  const supervised = entry.action === 'respawn';
  return [
    '#!/sbin/openrc-run',
    '# written by "runch init apply"; edit the table, not this file',
    `description=${quote(`vz container ${entry.id}`)}`,
    `supervisor=${supervised ? 'supervise-daemon' : 'start-stop-daemon'}`,
    `command=${quote(input.words[0])}`,
    `command_args=${quote(input.words.slice(1).join(' '))}`,
    'command_background=yes',
    `pidfile=${quote(`/run/vz-${entry.id}.pid`)}`,
    `output_log=${quote(input.log)}`,
    `error_log=${quote(input.log)}`,
    // supervise-daemon counts in whole seconds and refuses 0 (its default: at once); the launcher's backoff spaces the rest.
    ...(policy.firstDelayMs >= 1000 ? [`respawn_delay=${Math.ceil(policy.firstDelayMs / 1000)}`] : []),
    // 0: respawn forever (restart always); a crash loop is the launcher's hold, never a service left down.
    'respawn_max=0',
    `respawn_period=${Math.ceil(policy.startWindowMs / 1000)}`,
    `retry=${quote(`SIG${signal}/${seconds(entry.stopTimeoutMs)}/SIGKILL/5`)}`,
    '',
    'depend() {',
    '\tuse localmount',
    '\tafter net',
    '}',
    '',
  ].join('\n');
}
