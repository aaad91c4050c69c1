import { VzError } from '../../base/errors.ts';
import { readImageConfig, withEnv } from '../app/image-config.ts';
import { hostModes } from '../app/host-mode.ts';
import { ensureRunch, imageDigest, newSteps, pushImage, restartOf, startApp } from '../app/ops.ts';
import { defineVerb } from '../../base/cli.ts';
import { finish, stepPrinter, TARGET_OPTIONS, targetOf } from './target.ts';

const APP = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export function parseEnvFlags(command: string, values: string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of values ?? []) {
    const at = entry.indexOf('=');
    if (at < 1) throw new VzError('usage', `${command}: --env "${entry}" must be NAME=VALUE`);
    env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return env;
}

export const start = defineVerb({
  name: 'start',
  summary: 'run an app on hosts: runch and the image copied where missing, then one "runch host apply" per host (init or supervisor mode: the host\'s vz_mode)',
  usage:
    'vzmaster start <APP> --image FILE [--env NAME=VALUE]... [--restart no|on-failure[:N]|always|unless-stopped] [--schedule CRON] [-i INVENTORY] [--limit PATTERN] [--json]\n  example: vzmaster start hello --image images/9551d3....tar.gz --env GREETING=hi --limit host1',
  options: { ...TARGET_OPTIONS, image: { type: 'string' }, env: { type: 'string', multiple: true }, restart: { type: 'string' }, schedule: { type: 'string' } },
  async run({ values, positionals }) {
    const app = positionals[0];
    if (!app || !APP.test(app)) throw new VzError('usage', `start: app name ${JSON.stringify(app ?? '')} must be 1-32 lower-case letters, digits, "_" or "-"`);
    const image = values.image;
    if (!image) throw new VzError('usage', 'start: --image FILE is missing (an image made by "vzimage pack")');
    const restart = values.restart ?? 'always';
    const schedule = values.schedule;
    if (schedule !== undefined && !/^\S+( \S+){4,5}$/.test(schedule.trim()))
      throw new VzError('usage', `start: --schedule "${schedule}" must be 5 or 6 cron fields, e.g. "*/5 * * * *"`);
    const policy = restartOf(restart, schedule, 'start: --restart');
    const env = parseEnvFlags('start', values.env);
    const target = targetOf(values);
    const modes = hostModes(target.config.inventory); // a bad vz_mode is refused before anything runs
    // A schedule or on-failure in init mode is each host's to judge (systemd honours both natively; the others
    // refuse in their answer, naming supervisor mode): inittab-gen/policy-table.ts.
    const digest = imageDigest(image);
    const config = withEnv(await readImageConfig(image), env);
    const steps = newSteps(target.config, target.limit, stepPrinter('start', values.json));
    await ensureRunch(steps);
    await pushImage(steps, image);
    const answers = await startApp(steps, { app, imageFile: image, digest, config, restart: policy, schedule: schedule?.trim(), modes });
    // What each host did, in its own words of the answer's notes ("unpacked ...", "mode: supervisor", "pruned ...").
    const results = steps.summary().map((r) => ({ ...r, result: {}, message: r.message || (answers.get(r.host)?.notes ?? []).join('; ') }));
    return finish(results, values.json, { app });
  },
});
