import { existsSync } from 'node:fs';
import { VzError } from '../base/errors.ts';
import { readTable, type TableEntry, tablePath } from '../supervisor/table/index.ts';
import type { InitEntry } from './entry.ts';

/** The host table is the supervisor's (supervisor/table): one source of truth whichever mode the host runs. */
export { tablePath };

export function toInitEntry(entry: TableEntry): InitEntry {
  const init: InitEntry = { id: entry.id, bundle: entry.bundle, action: entry.action, stopSignal: entry.stopSignal, stopTimeoutMs: entry.stopTimeoutMs };
  // Only what changes a rendering: an entry written before restart policies renders as it did.
  if (entry.restart === 'on-failure') init.restart = 'on-failure';
  if (entry.restartMax !== undefined) init.restartMax = entry.restartMax;
  if (entry.schedule !== undefined) init.schedule = entry.schedule;
  return init;
}

/** Every entry, or one clear error naming a bad line: init's configuration is never written from half a table. */
export function loadEntries(path: string, options: { mustExist?: boolean } = {}): InitEntry[] {
  // Applying a table that is not there would stop every container: a mistyped --table must not do that.
  if (options.mustExist && !existsSync(path))
    throw new VzError('not-found', `the table ${path} does not exist: give the right --table (to remove every entry, apply an empty table file)`);
  const table = readTable(path);
  const error = table.errors[0];
  if (error)
    throw new VzError('invalid-config', `the table ${path} line ${error.line}: ${error.message}; nothing was applied (fix the line, then apply again)`);
  return table.entries.map(toInitEntry);
}

export function findEntry(entries: InitEntry[], id: string, path: string): InitEntry {
  const entry = entries.find((e) => e.id === id);
  if (!entry) throw new VzError('not-found', `no entry "${id}" in the table ${path}: add it with "runch init add ${id} --bundle DIR"`);
  return entry;
}
