import { runContainer } from '../container/run.ts';
import type { Command } from './command.ts';
import { requireId } from './command.ts';
import { warnIgnored } from './output.ts';

export const run: Command = {
  name: 'run',
  summary: 'create and start a container; in the foreground, exit with its exit code',
  usage: 'runch run <id> --bundle DIR [--detach] [--pid-file FILE]\n  example: runch run --bundle ./hello hello1',
  options: {
    bundle: { type: 'string', short: 'b', default: '.' },
    detach: { type: 'boolean', short: 'd', default: false },
    'pid-file': { type: 'string' },
  },
  async run({ values, positionals, store }) {
    return runContainer(store, requireId(run, positionals), {
      bundle: values.bundle as string,
      detach: values.detach as boolean,
      pidFile: values['pid-file'] as string | undefined,
      onIgnored: warnIgnored,
    });
  },
};
