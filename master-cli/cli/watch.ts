import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VzError } from '../../base/errors.ts';
import { defineVerb, intFlag } from '../../base/cli.ts';
import { defaultLabDir } from '../lab/paths.ts';
import { watchLogger, watchForeground, watchOnce } from '../watch/run.ts';
import { installWatch, type Scheduler } from '../watch/install.ts';
import { TARGET_OPTIONS, targetOf } from './target.ts';

const DEFAULT_EVERY = '*/30 * * * * *';

export const watch = defineVerb({
  name: 'watch',
  summary: 'keep deployed apps placed: a host lost for N checks has its replicas moved, its return stops the surplus; notifies',
  usage: [
    'vzmaster watch [-i INVENTORY] [--every CRON] [--lost-after N] [--notify CMD] [--once]',
    '       vzmaster watch --install cron|systemd [--dir DIR] [--every CRON | --period SECONDS] [--lost-after N] [--notify CMD]',
    `  --every: node-cron schedule of the rounds (seconds field allowed; default "${DEFAULT_EVERY}")`,
    '  --lost-after: consecutive missed checks before a host is lost (default 3, at least 2)',
    '  --notify: a command line run by /bin/sh with each event as JSON on stdin (host-lost, host-back, crash-looping, rescheduled, surplus-stopped, rescheduling-impossible)',
    '  example: vzmaster watch --every "*/20 * * * * *" --notify \'mail -s vz me@example.org\'',
  ].join('\n'),
  options: {
    ...TARGET_OPTIONS,
    every: { type: 'string' },
    'lost-after': { type: 'string' },
    notify: { type: 'string' },
    once: { type: 'boolean', default: false },
    install: { type: 'string' },
    dir: { type: 'string' },
    period: { type: 'string' },
  },
  async run({ values, positionals }) {
    if (positionals.length > 0) throw new VzError('usage', `watch: unexpected ${JSON.stringify(positionals[0])}: the watch looks after every deployed app`);
    if (values.limit !== undefined) throw new VzError('usage', 'watch: --limit does not apply: the watch checks every host of the inventory');
    const lostAfter = intFlag(watch, 'lost-after', values['lost-after'], 3);
    if (lostAfter < 2) throw new VzError('usage', `watch: --lost-after ${lostAfter}: at least 2, so that one missed answer is never acted on`);
    if (values.notify === '') throw new VzError('usage', 'watch: --notify needs a command line');
    if (values.install !== undefined) return install(values, lostAfter);
    if (values.period !== undefined) throw new VzError('usage', 'watch: --period is for --install systemd; a foreground watch takes --every CRON');
    if (values.dir !== undefined) throw new VzError('usage', 'watch: --dir is for --install');
    const { config } = targetOf(values);
    const options = { lostAfter, notify: values.notify, log: watchLogger() };
    if (values.once) return watchOnce(config, options);
    return watchForeground(config, options, values.every ?? DEFAULT_EVERY);
  },
});

async function install(values: { install?: string; dir?: string; every?: string; period?: string; notify?: string; inventory?: string; config?: string; once?: boolean }, lostAfter: number): Promise<number> {
  if (values.install !== 'cron' && values.install !== 'systemd') throw new VzError('usage', `watch: --install ${JSON.stringify(values.install)}: use cron or systemd`);
  if (values.once) throw new VzError('usage', 'watch: --once and --install do not go together: the installed job runs --once itself');
  if (values.install === 'cron' && values.period !== undefined) throw new VzError('usage', 'watch --install cron: cron counts in minutes: give --every "*/5 * * * *" instead of --period');
  const period = intFlag(watch, 'period', values.period, 60);
  if (period < 5) throw new VzError('usage', `watch --install systemd: --period ${period}: at least 5 seconds, one round trip to every host takes a few`);
  const { config } = targetOf(values);
  // The job runs without this shell's environment: it names the config (or inventory) and the ansible in use.
  const configFile = values.config ?? process.env.VZ_MASTER_CONFIG ?? (values.inventory === undefined ? join(defaultLabDir(), 'vzmaster.json') : undefined);
  const target = configFile && existsSync(configFile) ? ['--config', resolve(configFile)] : ['-i', config.inventory];
  const env = ['VZ_ANSIBLE', 'VZ_MASTER_STATE'].flatMap((name) => (process.env[name] ? [`${name}=${process.env[name]}`] : []));
  const argv = [
    ...(env.length > 0 ? ['/usr/bin/env', ...env] : []),
    process.execPath, resolve(process.argv[1]), 'watch', '--once', ...target, '--lost-after', String(lostAfter),
    ...(values.notify ? ['--notify', values.notify] : []),
  ];
  const files = await installWatch({ scheduler: values.install as Scheduler, dir: values.dir, argv, every: values.every, periodSeconds: period, logFile: join(config.stateDir, 'watch', 'watch.log') });
  for (const file of files) process.stdout.write(`wrote ${file}\n`);
  if (values.install === 'systemd') process.stdout.write('enable it with: systemctl daemon-reload && systemctl enable --now vz-watch.timer\n');
  return 0;
}
