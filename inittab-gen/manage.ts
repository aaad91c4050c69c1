import { realpathSync, rmSync } from 'node:fs';
import { VzError } from '../base/errors.ts';
import type { StateStore } from '../runch/state/store.ts';
import { notifySupervisor } from '../supervisor/control.ts';
import { disableEntry, enableEntry } from '../supervisor/edit.ts';
import { DEFAULT_LOG_DIR } from '../supervisor/logs/file.ts';
import { stateDir } from '../supervisor/state/file.ts';
import { DEFAULT_TABLE_PATH, readTable, renderEntry, type TableEntry, updateEntry } from '../supervisor/table/index.ts';
import { type ApplyResult, applyTable } from './apply.ts';
import { detectInit, type InitSystem } from './detect.ts';
import type { InitEntry } from './entry.ts';
import type { Launcher } from './process-field.ts';
import { type HostMode, modeFile, readMode, supervisorEntry, writeMode } from './mode.ts';
import { loadEntries } from './table.ts';
import { tallyPath } from './tally.ts';

export interface HostOptions {
  table: string;
  logDir: string;
  store: StateStore;
  init?: string;
  telinit?: string;
  dryRun?: boolean;
}

/** How init will call this very runch: the node running it and the file it runs, by absolute path. */
export function currentLauncher(options: HostOptions): Launcher {
  return {
    node: process.execPath,
    runch: realpathSync(process.argv[1]),
    root: options.store.root === '/run/runch' ? undefined : options.store.root,
    table: options.table === DEFAULT_TABLE_PATH ? undefined : options.table,
    logDir: options.logDir === DEFAULT_LOG_DIR ? undefined : options.logDir,
  };
}

export async function applyHost(options: HostOptions, entries?: InitEntry[], mode = readMode(modeFile(options.table))): Promise<ApplyResult & { init: InitSystem }> {
  const init = detectInit(options.init);
  // Supervisor mode: the table's entries are the supervisor's business; init respawns the supervisor alone.
  const wanted = mode === 'supervisor' ? [supervisorEntry] : (entries ?? loadEntries(options.table, { mustExist: true }));
  const result = await applyTable({
    init,
    entries: wanted,
    launcher: { ...currentLauncher(options), mode },
    store: options.store,
    dryRun: options.dryRun,
    telinit: options.telinit,
  });
  return { ...result, init };
}

export type Edit =
  | { kind: 'add'; bundle: string; once: boolean }
  /** add, or point an existing entry at another bundle (and turn it on): what a deploy does on each host. */
  | { kind: 'set'; bundle: string; once: boolean }
  | { kind: 'start' }
  | { kind: 'stop' }
  | { kind: 'remove' };

/**
 * Change one entry of the host table (the supervisor's own editors, locked and atomic), then apply. If applying
 * fails (read-only /etc, no telinit), the entry is put back, so table and init never disagree. `tableChanged`
 * says whether the entry's line is now different: with `reloaded`, whether anything changed at all.
 */
export async function editAndApply(options: HostOptions, id: string, edit: Edit): Promise<ApplyResult & { init: InitSystem; tableChanged: boolean }> {
  const before = readTable(options.table).entries.find((e) => e.id === id);
  if (edit.kind === 'add' && before) throw new VzError('exists', `the table already has an entry "${id}": remove it first or choose another id`);
  if (edit.kind !== 'add' && edit.kind !== 'set' && !before) throw new VzError('not-found', `no entry "${id}" in the table ${options.table}: add it with "runch init add ${id} --bundle DIR"`);
  if (options.dryRun) {
    const entries = loadEntries(options.table).filter((e) => e.id !== id);
    const next: InitEntry | undefined =
      edit.kind === 'remove' ? undefined
      : edit.kind === 'add' || edit.kind === 'set' ? { id, bundle: edit.bundle, action: edit.once ? 'once' : 'respawn', stopSignal: 'SIGTERM', stopTimeoutMs: 10_000 }
      : { ...loadEntries(options.table).find((e) => e.id === id)!, action: edit.kind === 'stop' ? 'off' : 'respawn' };
    return { ...(await applyHost(options, next ? [...entries, next] : entries)), tableChanged: false };
  }
  const supervisorDir = stateDir();
  try {
    if (edit.kind === 'add' || edit.kind === 'set') await enableEntry(id, { table: options.table, stateDir: supervisorDir, bundle: edit.bundle, action: { action: edit.once ? 'once' : 'respawn' } });
    else if (edit.kind === 'start') await enableEntry(id, { table: options.table, stateDir: supervisorDir });
    else if (edit.kind === 'stop') await disableEntry(id, options.table, supervisorDir);
    else {
      await updateEntry(options.table, id, () => undefined);
      notifySupervisor(supervisorDir); // supervisor mode: it stops the removed entry's container now
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EROFS' || code === 'EACCES')
      throw new VzError('system', `cannot write the table ${options.table} (${code === 'EROFS' ? 'read-only file system' : 'permission denied'}): nothing was changed`);
    throw error;
  }
  const after = readTable(options.table).entries.find((e) => e.id === id);
  const tableChanged = (before ? renderEntry(before) : '') !== (after ? renderEntry(after) : '');
  try {
    return { ...(await applyHost(options)), tableChanged };
  } catch (error) {
    await updateEntry(options.table, id, () => before as TableEntry | undefined).catch(() => undefined);
    throw error;
  }
}

/** Switch the host's mode and apply; the previous mode is put back if applying fails. */
export async function switchMode(options: HostOptions, mode: HostMode) {
  const file = modeFile(options.table);
  const before = readMode(file);
  if (options.dryRun) return applyHost(options, undefined, mode);
  if (before !== mode) await writeMode(mode, file);
  try {
    return await applyHost(options, undefined, mode);
  } catch (error) {
    await writeMode(before, file).catch(() => undefined);
    throw error;
  }
}

/** A human start forgets the old deaths: the backoff starts from zero. */
export function resetTally(store: StateStore, id: string): void {
  rmSync(tallyPath(store, id), { force: true });
}
