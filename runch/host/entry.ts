import { VzError } from '../../base/errors.ts';
import type { EntryAnswer } from '../../base/host-contract.ts';
import { editAndApply, resetTally } from '../../inittab-gen/manage.ts';
import { modeFile, readMode } from '../../inittab-gen/mode.ts';
import { waitSupervisedDown } from '../../inittab-gen/supervised.ts';
import { readTable } from '../../supervisor/table/index.ts';
import type { HostContext } from './context.ts';
import { appRows } from './status.ts';

/**
 * `runch host stop | start | remove`: the entry off (stopped for good), back on, or gone. An app the host does not
 * have is no error for stop and remove (nothing to do: changed false); start needs it.
 */
export async function editApp(ctx: HostContext, kind: 'stop' | 'start' | 'remove', app: string): Promise<EntryAnswer> {
  const before = readTable(ctx.config.table).entries.find((e) => e.id === app);
  if (!before) {
    if (kind === 'start') throw new VzError('not-found', `app "${app}" is not on this host: start it with "vzmaster start ${app} --image FILE"`);
    return { ok: true, changed: false, state: 'absent' };
  }
  const supervised = readMode(modeFile(ctx.config.table)) === 'supervisor';
  if (kind === 'start') resetTally(ctx.host.store, app);
  const result = await editAndApply(ctx.host, app, { kind });
  // Init mode returns once the process is gone; supervisor mode too, by waiting for the supervisor.
  if (supervised && kind !== 'start' && result.tableChanged) await waitSupervisedDown(app, before.stopTimeoutMs + 5_000);
  const row = appRows(ctx, app)[0];
  return { ok: true, changed: result.tableChanged || result.reloaded, state: row?.state ?? 'absent' };
}
