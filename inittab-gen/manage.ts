import { realpathSync } from 'node:fs';
import { VzError } from '../runch/lib/errors.ts';
import { withLock } from '../runch/lib/lock.ts';
import type { StateStore } from '../runch/state/store.ts';
import { type ApplyResult, applyTable } from './apply.ts';
import { detectInit, type InitSystem } from './detect.ts';
import { type InitEntry, type InitEntryInput, initEntrySchema, type InitTable } from './entry.ts';
import type { Launcher } from './process-field.ts';
import { DEFAULT_TABLE, findEntry, loadTable, saveTable } from './table.ts';
import { tallyPath } from './tally.ts';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

export interface HostOptions {
  table: string;
  store: StateStore;
  init?: string;
  telinit?: string;
  dryRun?: boolean;
}

/** How init will call this very runch: the node running it and the file it runs, by absolute path. */
export function currentLauncher(store: StateStore, table: string): Launcher {
  return {
    node: process.execPath,
    runch: realpathSync(process.argv[1]),
    root: store.root === '/run/runch' ? undefined : store.root,
    table: table === DEFAULT_TABLE ? undefined : table,
  };
}

export async function applyHost(options: HostOptions, table?: InitTable): Promise<ApplyResult & { init: InitSystem }> {
  const init = detectInit(options.init);
  const entries = (table ?? loadTable(options.table)).entries;
  const result = await applyTable({
    init,
    entries,
    launcher: currentLauncher(options.store, options.table),
    store: options.store,
    dryRun: options.dryRun,
    telinit: options.telinit,
  });
  return { ...result, init };
}

/**
 * Change the table, then apply it; if applying fails (read-only /etc, no telinit), the table is put back too, so
 * table and init never disagree.
 */
export async function editAndApply(options: HostOptions, edit: (table: InitTable) => InitTable) {
  try {
    mkdirSync(dirname(options.table), { recursive: true });
  } catch {
    // reported by saveTable in words
  }
  return withLock(options.table, `the table ${options.table}`, async () => {
    const before = loadTable(options.table);
    const after = edit(structuredClone(before));
    if (options.dryRun) return applyHost(options, after);
    await saveTable(options.table, after);
    try {
      return await applyHost(options, after);
    } catch (error) {
      await saveTable(options.table, before);
      throw error;
    }
  });
}

export function addEntry(table: InitTable, input: InitEntryInput): InitTable {
  const parsed = initEntrySchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new VzError('usage', `${issue.path.join('.')}: ${issue.message}`);
  }
  if (table.entries.some((e) => e.id === parsed.data.id))
    throw new VzError('exists', `the table already has an entry "${parsed.data.id}": remove it first or choose another id`);
  table.entries.push(parsed.data);
  return table;
}

export function setAction(table: InitTable, id: string, path: string, action: InitEntry['action']): InitTable {
  findEntry(table, id, path).action = action;
  return table;
}

export function removeEntry(table: InitTable, id: string, path: string): InitTable {
  findEntry(table, id, path);
  table.entries = table.entries.filter((e) => e.id !== id);
  return table;
}

/** A human start forgets the old deaths: the backoff starts from zero. */
export function resetTally(store: StateStore, id: string): void {
  rmSync(tallyPath(store, id), { force: true });
}
