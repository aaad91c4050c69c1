import { startContainer } from '../container/start.ts';
import { defineCommand } from './command.ts';
import { requireId } from './command.ts';

export const start = defineCommand({
  name: 'start',
  summary: 'run the program of a created container',
  usage: 'runch start <id>\n  example: runch start web1',
  options: {},
  async run({ positionals, store }) {
    await startContainer(store, requireId(start, positionals));
    return 0;
  },
});
