import { existsSync } from 'node:fs';
import { VzError } from '../../base/errors.ts';
import { deleteContainer } from '../container/delete.ts';
import { defineCommand } from './command.ts';
import { requireId } from './command.ts';

export const del = defineCommand({
  name: 'delete',
  summary: 'delete a stopped container (--force: kill it first)',
  usage: 'runch delete [--force] <id>\n  example: runch delete --force web1',
  options: { force: { type: 'boolean', short: 'f', default: false } },
  async run({ values, positionals, store }) {
    const id = requireId(del, positionals);
    // The id's lock lives under --root: podman's first call for a container may be a delete --force of one never made.
    if (!existsSync(store.root)) {
      if (values.force) return 0;
      throw new VzError('not-found', `container "${id}" does not exist: see "runch list"`);
    }
    await deleteContainer(store, id, values.force);
    return 0;
  },
});
