import { resolve } from 'node:path';
import { VzError } from '../base/errors.ts';
import { notifySupervisor } from './control.ts';
import { type TableEntry, makeEntry, updateEntry } from './table/index.ts';

export interface EnableOptions {
  table: string;
  stateDir: string;
  bundle?: string;
  /** "once" or "cron <schedule>"; default respawn. */
  action?: Pick<TableEntry, 'action' | 'schedule'>;
  restart?: TableEntry['restart'];
  restartMax?: number;
}

/** Set an entry wanted (adding it when --bundle is given), atomically; the supervisor picks it up. */
export async function enableEntry(id: string, options: EnableOptions): Promise<{ entry: TableEntry; notified: boolean }> {
  const entry = await updateEntry(options.table, id, (current) => {
    if (!current && !options.bundle)
      throw new VzError('not-found', `enable: "${id}" is not in the table ${options.table}: add it with --bundle DIR`);
    const action = options.action ?? (current && current.action !== 'off' ? { action: current.action, schedule: current.schedule } : { action: 'respawn' as const });
    const fields: Record<string, unknown> = { ...(current ?? {}), id, action: action.action, schedule: action.schedule };
    if (options.bundle) fields.bundle = resolve(options.bundle);
    if (options.restart) fields.restart = options.restart;
    if (options.restart) fields.restartMax = options.restartMax;
    for (const key of Object.keys(fields)) if (fields[key] === undefined) delete fields[key];
    try {
      return makeEntry(fields as Parameters<typeof makeEntry>[0]);
    } catch (error) {
      const issue = (error as { issues?: { message: string }[] }).issues?.[0]?.message;
      throw new VzError('usage', `enable ${id}: ${issue ?? (error as Error).message}`);
    }
  });
  return { entry: entry!, notified: notifySupervisor(options.stateDir) };
}

/** Set an entry `off`: the supervisor stops it and it stays stopped, across reloads and supervisor restarts. */
export async function disableEntry(id: string, table: string, stateDir: string): Promise<{ changed: boolean; notified: boolean }> {
  let changed = false;
  await updateEntry(table, id, (current) => {
    if (!current) throw new VzError('not-found', `disable: "${id}" is not in the table ${table}: see "runch status"`);
    if (current.action === 'off') return current;
    changed = true;
    const { schedule: _dropped, ...rest } = current;
    return { ...rest, action: 'off' };
  });
  return { changed, notified: changed && notifySupervisor(stateDir) };
}
