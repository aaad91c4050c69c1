import { VzError } from '../base/errors.ts';
import { DEFAULT_LOG_DIR, logPath } from '../supervisor/logs/file.ts';
import { spliceBlock, splitBlock, withoutBlock } from './block.ts';
import type { InitEntry } from './entry.ts';
import { assignInittabIds } from './ids.ts';
import { foreignUses, parseInittab } from './inittab-text.ts';
import { type Launcher, processField, processWords } from './process-field.ts';
import { busyboxBlockLines, idsInBlock, sysvinitBlockLines, sysvinitTabFile } from './render-inittab.ts';
import { openrcService, systemdTimer, systemdUnit } from './render-units.ts';
import { cronLines, type CrondFound, type Crontab, noCrond, renderCrontab } from './openrc/crontab.ts';

/** How vz writes into this host's init: chosen by detect.ts, or forced with --init. */
export type Dialect = 'sysvinit-dir' | 'sysvinit-block' | 'busybox' | 'systemd' | 'openrc';

export const INITTAB = '/etc/inittab';
export const DIRS: Record<Dialect, string | undefined> = {
  'sysvinit-dir': '/etc/inittab.d',
  'sysvinit-block': undefined,
  busybox: undefined,
  systemd: '/etc/systemd/system',
  openrc: '/etc/init.d',
};

/** vz's file for an entry in a one-file-per-entry dialect. */
export function ownFile(dialect: Dialect, id: string): string {
  if (dialect === 'sysvinit-dir') return `/etc/inittab.d/vz-${id}.tab`;
  if (dialect === 'systemd') return `/etc/systemd/system/vz-${id}.service`;
  if (dialect === 'openrc') return `/etc/init.d/vz-${id}`;
  throw new Error(`${dialect} keeps its entries in ${INITTAB}`);
}

/** The id behind one of vz's own files, or undefined for a file vz does not own. */
export function idOfFile(dialect: Dialect, name: string): string | undefined {
  const match =
    dialect === 'sysvinit-dir' ? /^vz-(.+)\.tab$/.exec(name) : dialect === 'systemd' ? /^vz-(.+)\.(?:service|timer)$/.exec(name) : /^vz-(.+)$/.exec(name);
  return match?.[1];
}

/** vz's mark in every file it writes (render-inittab.ts, render-units.ts): a vz-* name alone does not make a file vz's. */
const isOwn = (text: string) => text.split('\n', 3).some((line) => line.startsWith('#') && line.includes('written by "runch init apply"'));

/** What the writer read: the inittab (undefined when absent) and every file of the dialect's directory. */
export interface Current {
  inittab?: string;
  /** name -> content, for the dialect's directory. */
  dir: Map<string, string>;
  /** OpenRC: the host's cron daemon, root's crontab (openrc/crond.ts) and flock's path, for schedules. */
  cron?: { found: CrondFound; crontab?: Crontab; flock: string };
}

export interface Change {
  path: string;
  before?: string;
  after?: string;
  mode: number;
}

export interface Plan {
  changes: Change[];
  /** Entries whose running process must go (removed, off, or changed): vz stops them itself, never two at once. */
  stop: string[];
  /** Entries init will (re)start after the reload. */
  start: string[];
  /** Entries with nothing to render (cron), named so the user knows why they are absent. */
  skipped: string[];
}

function checkUnique(entries: InitEntry[]): void {
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.id)) throw new VzError('invalid-config', `the table has two entries with id "${entry.id}": give each container its own id`);
    seen.add(entry.id);
  }
}

/**
 * OpenRC: the schedules as lines in vz's block of root's crontab (openrc/crontab.ts), for the crond that runs here;
 * a schedule with no busybox crond running is refused in one line, nothing written.
 */
function planCrontab(entries: InitEntry[], current: Current, launcher: Launcher, changes: Change[], before: Map<string, string>, after: Map<string, string>): void {
  const scheduled = entries.filter((e) => e.action === 'cron');
  const cron = current.cron;
  if (scheduled.length > 0 && cron?.found.kind !== 'busybox') throw noCrond(scheduled[0], cron?.found ?? { kind: 'none' });
  if (scheduled.length > 0 && !cron!.flock) throw new VzError('not-found', `schedule of "${scheduled[0].id}": flock (util-linux) is missing, and it keeps two runs from overlapping: install util-linux`);
  const crontab = cron?.crontab;
  if (!crontab) return;
  const lines: string[] = [];
  for (const entry of scheduled) {
    const own = cronLines(entry, processWords(entry.id, launcher), cron!.flock);
    lines.push(...own);
    after.set(entry.id, own.join('\n'));
  }
  const old = crontab.text === undefined ? [] : (splitBlock(crontab.text, crontab.path)?.block ?? []);
  for (const id of idsInBlock(old)) {
    const at = old.indexOf(`# vz: ${id}`);
    before.set(id, [old[at], old[at + 1] ?? ''].join('\n'));
  }
  const next = renderCrontab(crontab, lines);
  if (next === (crontab.text ?? '')) return;
  // A crontab that held only vz's block goes with it: the file is as it was before vz's first schedule (none).
  changes.push({ path: crontab.path, before: crontab.text, after: next === '' ? undefined : next, mode: 0o600 });
}

const active = (entry: InitEntry) => entry.action === 'respawn' || entry.action === 'once';

/** Pure: the files this dialect should hold for these entries, against what is there now. */
export function planApply(dialect: Dialect, entries: InitEntry[], current: Current, launcher: Launcher): Plan {
  checkUnique(entries);
  const changes: Change[] = [];
  const before = new Map<string, string>(); // id -> active rendering now
  const after = new Map<string, string>(); // id -> active rendering wanted
  // systemd renders a cron entry as a timer, OpenRC as a line for the host's crond; the other inits have no clock.
  const skipped = dialect === 'systemd' || dialect === 'openrc' ? [] : entries.filter((e) => e.action === 'cron').map((e) => e.id);
  const inittab = current.inittab;

  if (dialect === 'busybox' || dialect === 'sysvinit-block') {
    if (inittab === undefined) throw new VzError('not-found', `${INITTAB} does not exist: init reads its entries there, so create it (even empty) first`);
    const foreign = foreignUses(parseInittab(withoutBlock(inittab, INITTAB)), INITTAB);
    const block: string[] = [];
    if (dialect === 'busybox') {
      for (const entry of entries) {
        const process = processField(entry.id, launcher, 'busybox');
        const clash = foreign.processes.get(process);
        if (clash && active(entry))
          throw new VzError('invalid-config', `entry "${entry.id}": ${clash} already runs "${process}" (busybox init keys entries by command): remove that line`);
        const lines = busyboxBlockLines(entry, process);
        block.push(...lines);
        if (active(entry)) after.set(entry.id, lines.join('\n'));
      }
    } else {
      const ids = assignInittabIds(entries, foreign.ids);
      for (const entry of entries) {
        const lines = sysvinitBlockLines(entry, ids.get(entry.id)!, processField(entry.id, launcher, 'sysvinit'));
        block.push(...lines);
        if (active(entry)) after.set(entry.id, lines.join('\n'));
      }
    }
    const old = splitBlock(inittab, INITTAB)?.block ?? [];
    for (const id of idsInBlock(old)) {
      const at = old.indexOf(`# vz: ${id}`);
      const line = old[at + 1] ?? '';
      if (/^[^:]*:[^:]*:(respawn|once):/.test(line)) before.set(id, [old[at], line].join('\n'));
    }
    const next = spliceBlock(inittab, block, INITTAB);
    if (next !== inittab) changes.push({ path: INITTAB, before: inittab, after: next, mode: 0o644 });
  } else {
    const dir = DIRS[dialect]!;
    const foreignIds = new Map<string, string>();
    if (dialect === 'sysvinit-dir') {
      // Ids are one namespace across /etc/inittab and every *.tab file.
      if (inittab !== undefined) for (const [id, where] of foreignUses(parseInittab(withoutBlock(inittab, INITTAB)), INITTAB).ids) foreignIds.set(id, where);
      for (const [name, text] of current.dir)
        if (name.endsWith('.tab') && (idOfFile(dialect, name) === undefined || !isOwn(text)))
          for (const [id, where] of foreignUses(parseInittab(text), `${dir}/${name}`).ids) foreignIds.set(id, where);
      // A block left by an older sysvinit-block apply goes: entries now live in files.
      if (inittab !== undefined && splitBlock(inittab, INITTAB)) {
        const next = spliceBlock(inittab, [], INITTAB);
        if (next !== inittab) changes.push({ path: INITTAB, before: inittab, after: next, mode: 0o644 });
      }
    }
    const ids = dialect === 'sysvinit-dir' ? assignInittabIds(entries, foreignIds) : undefined;
    const wanted = new Map<string, string>();
    for (const entry of entries) {
      const words = processWords(entry.id, launcher);
      const text =
        dialect === 'sysvinit-dir'
          ? sysvinitTabFile(entry, ids!.get(entry.id)!, processField(entry.id, launcher, 'sysvinit'))
          : dialect === 'systemd'
            ? systemdUnit(entry, { words, log: logPath(launcher.logDir ?? DEFAULT_LOG_DIR, entry.id) })
            : openrcService(entry, { words, log: logPath(launcher.logDir ?? DEFAULT_LOG_DIR, entry.id) });
      if (text === undefined) continue;
      const files: [string, string][] = [[ownFile(dialect, entry.id), text]];
      const timer = dialect === 'systemd' ? systemdTimer(entry) : undefined;
      if (timer !== undefined) files.push([`${dir}/vz-${entry.id}.timer`, timer]);
      for (const [path, body] of files) {
        const foreign = current.dir.get(path.slice(dir.length + 1));
        if (foreign !== undefined && !isOwn(foreign))
          throw new VzError('invalid-config', `entry "${entry.id}": ${path} exists and vz did not write it (no "written by runch init apply" mark): rename that file or give the entry another id; nothing was applied`);
        wanted.set(path, body);
      }
      if (active(entry) || timer !== undefined) after.set(entry.id, files.map(([, body]) => body).join(''));
    }
    for (const [name, text] of current.dir) {
      const id = idOfFile(dialect, name);
      if (id === undefined || !isOwn(text)) continue; // a foreign file named vz-*: never deleted, its process never stopped
      if (dialect !== 'sysvinit-dir' || /:(respawn|once):/.test(text)) before.set(id, (before.get(id) ?? '') + text); // systemd: .service then .timer
      const path = `${dir}/${name}`;
      if (!wanted.has(path)) changes.push({ path, before: text, mode: 0o644 });
    }
    for (const [path, text] of wanted) {
      const old = current.dir.get(path.slice(dir.length + 1));
      if (old !== text) changes.push({ path, before: old, after: text, mode: dialect === 'openrc' ? 0o755 : 0o644 });
    }
    if (dialect === 'openrc') planCrontab(entries, current, launcher, changes, before, after);
  }
  const stop = [...before].filter(([id, text]) => after.get(id) !== text).map(([id]) => id);
  const start = [...after].filter(([id, text]) => before.get(id) !== text).map(([id]) => id);
  return { changes, stop: stop.sort(), start: start.sort(), skipped };
}
