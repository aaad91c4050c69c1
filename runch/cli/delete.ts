import { deleteContainer } from '../container/delete.ts';
import { defineCommand } from './command.ts';
import { requireId } from './command.ts';

export const del = defineCommand({
  name: 'delete',
  summary: 'delete a stopped container (--force: kill it first)',
  usage: 'runch delete [--force] <id>\n  example: runch delete --force web1',
  options: { force: { type: 'boolean', short: 'f', default: false } },
  async run({ values, positionals, store }) {
    // The id's lock lives under --root: podman's first call for a container may be a delete --force of one never made.
    store.ensureRoot();
    await deleteContainer(store, requireId(del, positionals), values.force);
    return 0;
  },
});
