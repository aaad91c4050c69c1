import { VzError } from '../../base/errors.ts';
import { ociState } from '../container/oci-state.ts';
import { defineCommand } from './command.ts';
import { table } from './output.ts';

export const list = defineCommand({
  name: 'list',
  summary: 'list containers',
  usage: 'runch list [--format table|json] [--quiet]\n  example: runch list --format json',
  options: { format: { type: 'string', short: 'f', default: 'table' }, quiet: { type: 'boolean', short: 'q', default: false } },
  async run({ values, store }) {
    const format = values.format;
    if (format !== 'table' && format !== 'json') throw new VzError('usage', `list: --format "${format}" is unknown: use table or json`);
    const states = store.ids().flatMap((id) => {
      try {
        return [ociState(store.load(id))];
      } catch {
        return []; // a container deleted while we listed
      }
    });
    if (values.quiet) process.stdout.write(states.map((s) => `${s.id}\n`).join(''));
    else if (format === 'json') process.stdout.write(`${JSON.stringify(states)}\n`);
    else
      process.stdout.write(
        table(['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, 'root'])),
      );
    return 0;
  },
});
