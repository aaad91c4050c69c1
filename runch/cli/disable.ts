import { defineCommand } from './command.ts';
import { requireId } from './command.ts';

export const disable = defineCommand({
  name: 'disable',
  summary: 'want a container stopped: set its table entry off (the supervisor stops it; it stays stopped)',
  usage: 'runch disable <id> [--table FILE]\n  example: runch disable web1',
  options: { table: { type: 'string' }, 'state-dir': { type: 'string' } },
  async run({ values, positionals }) {
    const id = requireId(disable, positionals);
    const { disableEntry } = await import('../../supervisor/edit.ts');
    const { tablePath } = await import('../../supervisor/table/index.ts');
    const { stateDir } = await import('../../supervisor/state/file.ts');
    await disableEntry(id, tablePath(values.table), stateDir(values['state-dir']));
    return 0;
  },
});
