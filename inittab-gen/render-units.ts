import { parseSignal } from '../base/signals.ts';
import type { InitEntry } from './entry.ts';

/**
 * systemd and OpenRC supervise on their own, so there the process is the same `runch init exec`, and the unit says
 * what the inittab line cannot: stop signal and timeout. One file per entry; `off` and `cron` get none.
 */
export function systemdUnit(entry: InitEntry, words: string[]): string | undefined {
  if (entry.action !== 'respawn' && entry.action !== 'once') return undefined;
  const seconds = Math.max(1, Math.ceil(entry.stopTimeoutMs / 1000));
  return [
    '# written by "runch init apply"; edit the table, not this file',
    '[Unit]',
    `Description=vz container ${entry.id}`,
    'After=network.target',
    // runch's own backoff spaces the restarts; systemd's start limit must not fire first.
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    // runch execs the container in its own place: the main pid is the container's.
    'Type=simple',
    `ExecStart=${words.join(' ')}`,
    `Restart=${entry.action === 'respawn' ? 'always' : 'no'}`,
    'RestartSec=0',
    `KillSignal=${parseSignal(entry.stopSignal)}`,
    `TimeoutStopSec=${seconds}`,
    'KillMode=mixed',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** An OpenRC service run by supervise-daemon, which respawns it; runch's backoff again spaces the restarts. */
export function openrcService(entry: InitEntry, words: string[]): string | undefined {
  if (entry.action !== 'respawn' && entry.action !== 'once') return undefined;
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  const signal = parseSignal(entry.stopSignal).slice(3);
  const seconds = Math.max(1, Math.ceil(entry.stopTimeoutMs / 1000));
  return [
    '#!/sbin/openrc-run',
    '# written by "runch init apply"; edit the table, not this file',
    `description=${quote(`vz container ${entry.id}`)}`,
    `supervisor=${entry.action === 'respawn' ? 'supervise-daemon' : 'start-stop-daemon'}`,
    `command=${quote(words[0])}`,
    `command_args=${quote(words.slice(1).join(' '))}`,
    'command_background=yes',
    `pidfile=${quote(`/run/vz-${entry.id}.pid`)}`,
    'respawn_delay=0',
    'respawn_max=0',
    `retry=${quote(`SIG${signal}/${seconds}/SIGKILL/5`)}`,
    '',
    'depend() {',
    '\tneed localmount',
    '\tafter net',
    '}',
    '',
  ].join('\n');
}
