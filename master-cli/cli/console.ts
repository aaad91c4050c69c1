import { VzError } from '../../base/errors.ts';
import { defineVerb, intFlag } from '../../base/cli.ts';
import { onStopSignal } from '../../base/signals.ts';
import { newToken } from '../console/auth.ts';
import { startConsole } from '../console/server.ts';
import { targetOf } from './target.ts';

export const consoleVerb = defineVerb({
  name: 'console',
  summary: 'a web page on 127.0.0.1 of hosts, apps, logs and the watch\'s events, with start/stop/deploy/rollback; behind a token',
  usage: 'vzmaster console [--port N] [-i INVENTORY] [--config FILE]\n  --port: the port on 127.0.0.1 (default 8377; 0 picks a free one)\n  example: vzmaster console --port 8080   (then open the URL it prints)',
  options: { inventory: { type: 'string', short: 'i' }, config: { type: 'string' }, port: { type: 'string' } },
  async run({ values, positionals }) {
    if (positionals.length > 0) throw new VzError('usage', `console: unexpected ${JSON.stringify(positionals[0])}; usage: ${consoleVerb.usage.split('\n')[0]}`);
    const port = intFlag(consoleVerb, 'port', values.port, 8377);
    if (port > 65535) throw new VzError('usage', `console: --port ${port} is not a port (0-65535)`);
    const { config } = targetOf(values);
    const token = newToken();
    const server = await startConsole(config, { port, token, log: (line) => process.stderr.write(`${line}\n`) });
    // The URL carries the token: it is the key to this console, printed once, for this user's terminal.
    process.stdout.write(`console: ${server.url}\n`);
    await new Promise<void>((resolve) => onStopSignal(() => resolve()));
    await server.close();
    return 0;
  },
});
