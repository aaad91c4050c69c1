import { VzError } from '../../base/errors.ts';
import { collectLogs, formatLogs } from '../app/logs.ts';
import { defineVerb, intFlag } from '../../base/cli.ts';
import { TARGET_OPTIONS, targetOf } from './target.ts';

export const logs = defineVerb({
  name: 'logs',
  summary: 'the last lines of an app\'s log from every host running it, prefixed by host',
  usage: 'vzmaster logs <APP> [-n N] [-i INVENTORY] [--limit PATTERN]\n  example: vzmaster logs hello -n 20',
  options: { ...TARGET_OPTIONS, lines: { type: 'string', short: 'n' } },
  async run({ values, positionals }) {
    const app = positionals[0];
    if (!app) throw new VzError('usage', `logs: the app name is missing; usage: ${logs.usage.split('\n')[0]}`);
    const n = intFlag(logs, 'lines', values.lines, 20);
    const { config, limit } = targetOf(values);
    const result = await collectLogs(config, app, n, limit);
    if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(formatLogs(result));
    return result.some((h) => h.error?.startsWith('unreachable')) ? 4 : result.some((h) => h.error) ? 2 : 0;
  },
});
