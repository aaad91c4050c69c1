import { runContainer } from '../container/run.ts';
import { VzError } from '../../base/errors.ts';
import { defineCommand } from './command.ts';
import { requireId } from './command.ts';
import { warnIgnored } from './output.ts';

export const run = defineCommand({
  name: 'run',
  summary: 'create and start a container; in the foreground, exit with its exit code',
  usage:
    'runch run <id> --bundle DIR [--detach] [--pid-file FILE] [--restart no|on-failure[:max]|always|unless-stopped]\n' +
    '  example: runch run --bundle ./hello --restart on-failure:5 hello1',
  options: {
    bundle: { type: 'string', short: 'b', default: '.' },
    detach: { type: 'boolean', short: 'd', default: false },
    'pid-file': { type: 'string' },
    restart: { type: 'string' },
  },
  async run({ values, positionals, store }) {
    if (values.restart !== undefined) {
      if (values.detach) throw new VzError('usage', 'run: --restart supervises in the foreground: drop --detach, or use "runch enable" with "runch supervise"');
      const { runSupervised } = await import('../../supervisor/run-supervised.ts');
      return runSupervised(
        store,
        requireId(this, positionals),
        { bundle: values.bundle, restart: values.restart, onIgnored: warnIgnored },
        (line) => process.stderr.write(`runch: ${line}\n`),
      );
    }
    return runContainer(store, requireId(this, positionals), {
      bundle: values.bundle,
      detach: values.detach,
      pidFile: values['pid-file'],
      onIgnored: warnIgnored,
    });
  },
});
