/**
 * `vzmaster watch --install cron|systemd`: the watch as a job of the master's own scheduler, each run one
 * `vzmaster watch --once` (nothing stays resident between rounds). The files name this very vzmaster (its Node and
 * script) and the inventory/config it was given, each value quoted for the reader that splits it: /bin/sh for cron
 * (with cron's own `%` escaped), systemd's rules for ExecStart (quotes, `%%`, `$$`).
 */
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { writeAtomic } from '../../base/atomic.ts';
import { VzError } from '../../base/errors.ts';

export type Scheduler = 'cron' | 'systemd';

export interface InstallInput {
  scheduler: Scheduler;
  /** Where the files go: /etc/cron.d or /etc/systemd/system by default. */
  dir?: string;
  /** The program and its arguments: [node, vzmaster script, 'watch', '--once', ...]. */
  argv: string[];
  /** cron: a 5-field schedule; systemd: seconds between rounds. */
  every?: string;
  periodSeconds: number;
  /** Where a cron run's output goes. */
  logFile: string;
}

const shWord = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;

/** systemd's ExecStart word: double-quoted with C escapes; % and $ doubled so systemd expands nothing of ours. */
const unitWord = (value: string) => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('%', '%%').replaceAll('$', '$$$$')}"`;

export async function installWatch(input: InstallInput): Promise<string[]> {
  for (const word of [...input.argv, input.logFile])
    if (/[\n\r\0]/.test(word)) throw new VzError('usage', `watch --install: ${JSON.stringify(word)} holds a line break, which no crontab or unit line can carry: use another path`);
  if (input.scheduler === 'cron') {
    const every = input.every ?? '* * * * *';
    if (every.trim().split(/\s+/).length !== 5) throw new VzError('usage', `watch --install cron: --every "${every}" must have cron's five fields (minute hour day month weekday): cron counts in minutes`);
    if (/[\n%]/.test(every)) throw new VzError('usage', `watch --install cron: --every "${every}" may not hold % or a line break`);
    const dir = input.dir ?? '/etc/cron.d';
    mkdirSync(dir, { recursive: true });
    // cron.d lines carry a user; cron hands the command to /bin/sh, after turning each unescaped % into a newline.
    const command = `${input.argv.map(shWord).join(' ')} >>${shWord(input.logFile)} 2>&1`.replaceAll('%', '\\%');
    const file = join(dir, 'vz-watch');
    await writeAtomic(file, `# vzmaster watch, one round each run (written by vzmaster watch --install cron)\nSHELL=/bin/sh\n${every} ${userInfo().username} ${command}\n`);
    return [file];
  }
  if (input.every !== undefined) throw new VzError('usage', 'watch --install systemd: a timer counts in seconds: give --period SECONDS instead of --every');
  const dir = input.dir ?? '/etc/systemd/system';
  mkdirSync(dir, { recursive: true });
  const service = join(dir, 'vz-watch.service');
  const timer = join(dir, 'vz-watch.timer');
  await writeAtomic(service, [
    '# vzmaster watch, one round each run (written by vzmaster watch --install systemd)',
    '[Unit]',
    'Description=vzmaster watch: one reconciliation round',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${input.argv.map(unitWord).join(' ')}`,
    '',
  ].join('\n'));
  await writeAtomic(timer, [
    '# vzmaster watch, one round each run (written by vzmaster watch --install systemd)',
    '[Unit]',
    'Description=vzmaster watch, every few seconds',
    '',
    '[Timer]',
    `OnBootSec=${input.periodSeconds}s`,
    `OnUnitActiveSec=${input.periodSeconds}s`,
    'AccuracySec=1s',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n'));
  return [service, timer];
}
