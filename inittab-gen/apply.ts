import { accessSync, constants, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { VzError } from '../base/errors.ts';
import type { StateStore } from '../runch/state/store.ts';
import { DEFAULT_LOG_DIR } from '../supervisor/logs/file.ts';
import type { InitSystem } from './detect.ts';
import { diffChange } from './diff.ts';
import type { InitEntry } from './entry.ts';
import { type Change, type Current, DIRS, type Dialect, idOfFile, INITTAB, type Plan, planApply } from './plan.ts';
import type { Launcher } from './process-field.ts';
import { checkReloadable, reloadInit, startService, stopService } from './reload.ts';
import { commitStaged, finishStaged, rollbackStaged, type Staged, stageChanges } from './stage.ts';
import { stopContainer } from './stop.ts';
import { findCrond, readCrontab, tellCrond } from './openrc/crond.ts';
import { cronLock } from './openrc/crontab.ts';
import { hostBinary } from '../runch/container/hostbin.ts';

export interface ApplyOptions {
  init: InitSystem;
  entries: InitEntry[];
  launcher: Launcher;
  store: StateStore;
  dryRun?: boolean;
  telinit?: string;
}

export interface ApplyResult {
  plan: Plan;
  diff: string;
  /** false when the files already said it all: nothing written, init not reloaded. */
  reloaded: boolean;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new VzError('system', `cannot read ${path}: ${(error as Error).message}`);
  }
}

/** What the dialect's files hold now (every *.tab for sysvinit: their ids share one namespace). */
export function readCurrent(dialect: Dialect): Current {
  const dir = DIRS[dialect];
  const files = new Map<string, string>();
  if (dir) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      // absent: nothing there yet
    }
    for (const name of names.sort()) {
      const relevant = dialect === 'sysvinit-dir' ? name.endsWith('.tab') : idOfFile(dialect, name) !== undefined;
      const text = relevant ? readText(`${dir}/${name}`) : undefined;
      if (text !== undefined) files.set(name, text);
    }
  }
  return { inittab: readText(INITTAB), dir: files, ...(dialect === 'openrc' ? { cron: readCron() } : {}) };
}

/** OpenRC's schedules go to the host's crond: which one runs, root's crontab, and flock for the no-overlap lock. */
function readCron(): NonNullable<Current['cron']> {
  const found = findCrond();
  let flock = '';
  try {
    flock = hostBinary('flock');
  } catch {
    // refused by the plan only when a schedule needs it
  }
  return { found, crontab: readCrontab(found), flock };
}

/** A read-only /etc must fail before the first write, never half-way. */
function checkWritable(changes: Change[]): void {
  for (const dir of new Set(changes.map((c) => dirname(c.path)))) {
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new VzError(
        'system',
        `cannot write in ${dir} (${code === 'EROFS' ? 'read-only file system' : (error as Error).message}): remount it read-write or run as root; nothing was changed`,
      );
    }
  }
}

/**
 * Stage every file, put them all in place, reload; if init cannot be reloaded, put every file back as it was so the
 * host stays consistent. A failure while staging (a full disk) changes nothing (stage.ts).
 */
async function commit(options: ApplyOptions, changes: Change[], keep = false): Promise<Staged | undefined> {
  if (changes.length === 0) return undefined;
  const staged = stageChanges(changes);
  commitStaged(staged);
  try {
    await reloadInit(options.init, options.telinit);
  } catch (error) {
    rollbackStaged(staged);
    throw new VzError('system', `${(error as Error).message}; the previous configuration was put back`, { cause: error });
  }
  if (!keep) finishStaged(staged);
  return staged;
}

/** systemd and OpenRC: the services that changed are started; one that fails puts every file back as it was. */
async function startServices(options: ApplyOptions, staged: Staged | undefined, ids: string[]): Promise<void> {
  const started: string[] = [];
  try {
    for (const id of ids) {
      started.push(id);
      await startService(options.init, id);
    }
  } catch (error) {
    for (const id of started) await stopService(options.init, id);
    if (staged) {
      rollbackStaged(staged);
      await reloadInit(options.init, options.telinit).catch(() => undefined);
    }
    const detail = ((error as { stderr?: string }).stderr ?? '').trim().split('\n').filter(Boolean).slice(-2).join('; ');
    throw new VzError('system', `starting vz-${started.at(-1)} failed: ${(error as Error).message.split('\n')[0]}${detail ? ` (${detail})` : ''}; the previous configuration was put back`, { cause: error });
  }
  if (staged) finishStaged(staged);
}

async function stopAll(options: ApplyOptions, ids: string[]): Promise<void> {
  for (const id of ids) {
    const entry = options.entries.find((e) => e.id === id);
    await stopContainer(options.store, id, entry?.stopSignal ?? 'SIGTERM', entry?.stopTimeoutMs ?? 10_000, entry?.inittabId);
  }
}

/**
 * Make init's configuration say what the table says. Idempotent: a second apply finds no change and reloads
 * nothing. An entry whose line changes is first taken out (reload, stopped), then put back: never two instances.
 */
export async function applyTable(options: ApplyOptions): Promise<ApplyResult> {
  const { dialect } = options.init;
  let plan = planApply(dialect, options.entries, readCurrent(dialect), options.launcher);
  const diff = plan.changes.map(diffChange).join('');
  if (options.dryRun || (plan.changes.length === 0 && plan.stop.length === 0)) return { plan, diff, reloaded: false };
  checkReloadable(options.init, options.telinit);
  checkWritable(plan.changes);
  const final = plan;
  if (dialect === 'systemd' || dialect === 'openrc') {
    // The unit opens the log itself (StandardOutput=append:): its directory must be there before the first start.
    mkdirSync(options.launcher.logDir ?? DEFAULT_LOG_DIR, { recursive: true });
    for (const id of plan.stop) await stopService(options.init, id);
    const staged = await commit(options, plan.changes, true);
    if (dialect === 'openrc') {
      const crontab = plan.changes.find((c) => !c.path.startsWith(`${DIRS.openrc}/`));
      if (crontab) tellCrond(crontab);
      // A schedule's run still going when its line went is crond's child, not OpenRC's: vz stops it (a stopped
      // service's container is already gone: nothing to do for those).
      await stopAll(options, plan.stop);
      for (const id of plan.stop) if (!plan.start.includes(id)) rmSync(cronLock(id), { force: true });
    }
    await startServices(options, staged, plan.start);
    return { plan: final, diff, reloaded: true };
  }
  const changed = plan.stop.filter((id) => plan.start.includes(id));
  if (changed.length > 0) {
    const interim = options.entries.map((e) => (changed.includes(e.id) ? { ...e, action: 'off' as const } : e));
    const first = planApply(dialect, interim, readCurrent(dialect), options.launcher);
    await commit(options, first.changes);
    await stopAll(options, first.stop);
    plan = planApply(dialect, options.entries, readCurrent(dialect), options.launcher);
  }
  await commit(options, plan.changes);
  await stopAll(options, plan.stop);
  return { plan: final, diff, reloaded: true };
}
