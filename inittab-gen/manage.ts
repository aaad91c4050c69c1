import { realpathSync, rmSync } from 'node:fs';
import { VzError } from '../base/errors.ts';
import type { StateStore } from '../runch/state/store.ts';
import { notifySupervisor } from '../supervisor/control.ts';
import { disableEntry, enableEntry } from '../supervisor/edit.ts';
import { DEFAULT_LOG_DIR } from '../supervisor/logs/file.ts';
import { stateDir } from '../supervisor/state/file.ts';
import { DEFAULT_TABLE_PATH, defaultRestart, readTable, renderEntry, type TableEntry, updateEntry } from '../supervisor/table/index.ts';
import { type ApplyResult, applyTable, readCurrent } from './apply.ts';
import { planApply } from './plan.ts';
import { detectInit, type InitSystem } from './detect.ts';
import type { InitEntry } from './entry.ts';
import type { Launcher } from './process-field.ts';
import { type HostMode, modeFile, readMode, supervisorEntry, writeMode } from './mode.ts';
import { loadEntries } from './table.ts';
import { waitSupervisedUp } from './supervised.ts';
import { loadBundle } from '../runch/oci/load.ts';
import { tallyPath } from './tally.ts';
import { compileEntries } from './compile-entry.ts';
import { launcherDir, pruneLaunchers } from './launcher.ts';

export interface HostOptions {
  table: string;
  logDir: string;
  store: StateStore;
  init?: string;
  telinit?: string;
  dryRun?: boolean;
  /**
   * The host config names this table, log dir and state root: `runch init exec` finds them there, so init's lines
   * carry only the id (runch/host/config.ts).
   */
  viaHostConfig?: boolean;
}

/** How init will call this very runch: the node running it and the file it runs, by absolute path. */
export function currentLauncher(options: HostOptions): Launcher {
  return {
    node: process.execPath,
    runch: realpathSync(process.argv[1]),
    root: options.store.root === '/run/runch' ? undefined : options.store.root,
    table: options.table === DEFAULT_TABLE_PATH ? undefined : options.table,
    logDir: options.logDir === DEFAULT_LOG_DIR ? undefined : options.logDir,
    hostConfig: options.viaHostConfig,
    launchers: launcherDir(options.table),
  };
}

export async function applyHost(options: HostOptions, entries?: InitEntry[], mode = readMode(modeFile(options.table))): Promise<ApplyResult & { init: InitSystem }> {
  const init = detectInit(options.init);
  // Supervisor mode: the table's entries are the supervisor's business; init respawns the supervisor alone.
  const wanted = mode === 'supervisor' ? [supervisorEntry] : (entries ?? loadEntries(options.table, { mustExist: true }));
  if (mode === 'init' && !options.dryRun) {
    // What init cannot take (a schedule with no crond, a process field too long) is refused before any launcher is
    // written: a refusal leaves nothing behind.
    planApply(init.dialect, wanted, readCurrent(init.dialect), { ...currentLauncher(options), mode });
    // Each entry's launcher first: init may spawn it as soon as its line is written (issue 12).
    await compileEntries(options, wanted, currentLauncher(options));
  }
  const result = await applyTable({
    init,
    entries: wanted,
    launcher: { ...currentLauncher(options), mode },
    store: options.store,
    dryRun: options.dryRun,
    telinit: options.telinit,
  });
  // Init's lines are gone for what left the table (or init mode): their launchers go too.
  if (!options.dryRun) pruneLaunchers(options.table, mode === 'init' ? wanted.map((entry) => entry.id) : []);
  return { ...result, init };
}

/** What an added or set entry runs: once (no restart), a cron schedule, and its restart policy. */
export interface EntrySpec {
  bundle: string;
  once: boolean;
  schedule?: string;
  restart?: TableEntry['restart'];
  restartMax?: number;
}

export type Edit =
  | ({ kind: 'add' } & EntrySpec)
  /** add, or point an existing entry at another bundle (and turn it on): what a deploy does on each host. */
  | ({ kind: 'set' } & EntrySpec)
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
      : edit.kind === 'add' || edit.kind === 'set' ? { id, bundle: edit.bundle, action: actionOf(edit).action, stopSignal: 'SIGTERM', stopTimeoutMs: 10_000 }
      : { ...loadEntries(options.table).find((e) => e.id === id)!, action: edit.kind === 'stop' ? 'off' : 'respawn' };
    return { ...(await applyHost(options, next ? [...entries, next] : entries)), tableChanged: false };
  }
  const supervisorDir = stateDir();
  try {
    if (edit.kind === 'add' || edit.kind === 'set')
      await enableEntry(id, { table: options.table, stateDir: supervisorDir, bundle: edit.bundle, action: actionOf(edit), restart: edit.restart ?? defaultRestart(actionOf(edit).action), restartMax: edit.restartMax });
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

function actionOf(spec: EntrySpec): Pick<TableEntry, 'action' | 'schedule'> {
  if (spec.schedule !== undefined) return { action: 'cron', schedule: spec.schedule };
  return { action: spec.once ? 'once' : 'respawn' };
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

export interface SetOutcome {
  result: ApplyResult & { init: InitSystem; tableChanged: boolean };
  /** The host's mode was switched first. */
  switched: boolean;
  /** Init mode: the entry ran another bundle and was stopped before its line came back with the new one. */
  stoppedOld: boolean;
  /** Supervisor mode: the supervisor has not acted on the new entry in time (is it running?). */
  notStarted: boolean;
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Add an entry or point it at another bundle (what `runch init set` and `runch host apply` do), in the host's mode
 * (switched first when `mode` says another). A bundle that cannot run is refused now, not found out by init in a
 * crash loop. Returns once init or the supervisor has the new entry.
 */
export async function setEntry(options: HostOptions, id: string, spec: EntrySpec, mode?: HostMode): Promise<SetOutcome> {
  loadBundle(spec.bundle);
  let switched = false;
  if (mode !== undefined && !options.dryRun && readMode(modeFile(options.table)) !== mode) {
    // The host's mode first (an existing entry moves to its new runner), then the entry.
    await switchMode(options, mode);
    switched = true;
  }
  const supervised = readMode(modeFile(options.table)) === 'supervisor';
  let stoppedOld = false;
  if (!options.dryRun && !supervised) {
    // init's line for an entry does not name its bundle, so init alone would keep the old one running. An entry on
    // another bundle is first stopped the way "runch init stop" stops it (entry off, init reloaded, TERM then KILL,
    // a runch waiting out a backoff ended too), then set on again with the new one. (Supervisor mode: the
    // supervisor restarts an entry whose bundle changed, on the reload the edit causes.)
    const before = readTable(options.table).entries.find((e) => e.id === id);
    if (before && before.action !== 'off' && real(before.bundle) !== real(spec.bundle)) {
      await editAndApply(options, id, { kind: 'stop' });
      stoppedOld = true;
    }
  }
  if (!options.dryRun) resetTally(options.store, id);
  const editedMs = Date.now();
  const result = await editAndApply(options, id, { kind: 'set', ...spec });
  let notStarted = false;
  if (supervised && result.tableChanged && !options.dryRun) {
    // Return once the supervisor runs the new entry (as init mode returns once init has it).
    const entry = loadEntries(options.table).find((e) => e.id === id)!;
    notStarted = !(await waitSupervisedUp(id, entry.bundle, editedMs, 20_000));
  }
  return { result, switched, stoppedOld, notStarted };
}
