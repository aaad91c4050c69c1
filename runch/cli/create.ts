import { createContainer } from '../container/create.ts';
import { defineCommand } from './command.ts';
import { requireId } from './command.ts';
import { warnIgnored } from './output.ts';

export const create = defineCommand({
  name: 'create',
  summary: 'create a container: its process waits for "start"',
  usage: 'runch create <id> --bundle DIR [--pid-file FILE]\n  example: runch create web1 --bundle /var/lib/vz/bundles/web',
  options: { bundle: { type: 'string', short: 'b', default: '.' }, 'pid-file': { type: 'string' } },
  async run({ values, positionals, store }) {
    const id = requireId(create, positionals);
    const { child } = await createContainer(store, id, {
      bundle: values.bundle,
      pidFile: values['pid-file'],
      onIgnored: warnIgnored,
    });
    child.unref();
    return 0;
  },
});
