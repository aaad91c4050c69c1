import { VzError } from '../../base/errors.ts';
import { collectLogs, followLogs, formatLogs } from '../app/logs.ts';
import { defineVerb, intFlag } from '../../base/cli.ts';
import { TARGET_OPTIONS, targetOf } from './target.ts';

export const logs = defineVerb({
  name: 'logs',
  summary: 'the last lines of an app\'s log from every host that has one, prefixed by host (-f: follow, by polling)',
  usage: 'vzmaster logs <APP> [-n N] [-f [--interval MS]] [-i INVENTORY] [--limit PATTERN]\n  example: vzmaster logs hello -n 20 -f',
  options: { ...TARGET_OPTIONS, lines: { type: 'string', short: 'n' }, follow: { type: 'boolean', short: 'f', default: false }, interval: { type: 'string' } },
  async run({ values, positionals }) {
    const app = positionals[0];
    if (!app) throw new VzError('usage', `logs: the app name is missing; usage: ${logs.usage.split('\n')[0]}`);
    const n = intFlag(logs, 'lines', values.lines, 20);
    const { config, limit } = targetOf(values);
    if (values.follow) {
      if (values.json) throw new VzError('usage', 'logs: -f prints lines as they come; --json is for one read (drop -f or --json)');
      const intervalMs = intFlag(logs, 'interval', values.interval, 1000);
      if (intervalMs < 100 || intervalMs > 60_000) throw new VzError('usage', `logs: --interval ${intervalMs} is out of range: use 100 to 60000 ms`);
      return follow(config, app, n, intervalMs, limit);
    }
    const result = await collectLogs(config, app, n, limit);
    if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(formatLogs(result));
    return result.some((h) => h.error?.startsWith('unreachable')) ? 4 : result.some((h) => h.error) ? 2 : 0;
  },
});

/** Until Ctrl-C (or SIGTERM): exit 0 then, having started nothing that outlives it. A second Ctrl-C leaves at once. */
async function follow(config: Parameters<typeof followLogs>[0], app: string, lines: number, intervalMs: number, limit?: string): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let width = 0;
  try {
    await followLogs(config, app, {
      lines,
      limit,
      intervalMs,
      signal: stop.signal,
      onHosts: (hosts) => (width = Math.max(width, ...hosts.map((h) => h.length))),
      onLines: (host, text, note) => {
        const prefix = `${host.padEnd(width)} | `;
        if (note) process.stdout.write(`${prefix}(${note})\n`);
        if (text.length > 0) process.stdout.write(text.map((line) => `${prefix}${line}\n`).join(''));
      },
    });
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
