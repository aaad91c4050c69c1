import { VzError } from '../../base/errors.ts';
import { newSteps, stopApp } from '../app/ops.ts';
import { type Command, defineVerb } from '../../base/cli.ts';
import { finish, stepPrinter, TARGET_OPTIONS, targetOf } from './target.ts';

export const stop = defineVerb({
  name: 'stop',
  summary: 'stop an app for good on hosts (its entry goes off; init or the host\'s supervisor stops it; "start" brings it back)',
  usage: 'vzmaster stop <APP> [-i INVENTORY] [--limit PATTERN] [--json]\n  example: vzmaster stop hello',
  options: { ...TARGET_OPTIONS },
  async run({ values, positionals }) {
    const app = positionals[0];
    if (!app) throw new VzError('usage', `stop: the app name is missing; usage: ${stop.usage.split('\n')[0]}`);
    const target = targetOf(values);
    const steps = newSteps(target.config, target.limit, stepPrinter('stop', values.json));
    await stopApp(steps, app);
    return finish(steps.summary().map((r) => ({ ...r, result: {} })), values.json, { app });
  },
});

export const kill: Command = { ...stop, name: 'kill', usage: stop.usage.replace(/stop/g, 'kill') };
