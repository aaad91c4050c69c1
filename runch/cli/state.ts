import { ociState } from '../container/oci-state.ts';
import { defineCommand } from './command.ts';
import { requireId } from './command.ts';

export const state = defineCommand({
  name: 'state',
  summary: 'print the runtime-spec state of a container as JSON',
  usage: 'runch state <id>\n  example: runch state web1',
  options: {},
  async run({ positionals, store }) {
    const current = store.load(requireId(state, positionals));
    process.stdout.write(`${JSON.stringify(ociState(current), null, 2)}\n`);
    return 0;
  },
});
