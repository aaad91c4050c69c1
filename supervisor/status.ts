import { isAlive } from '../base/proc.ts';
import { liveSupervisor } from './control.ts';
import { readState, type UnitRecord } from './state/file.ts';
import { type ParsedTable, renderEntry } from './table/index.ts';

/** One row of `runch status`: the state file's record, rechecked against /proc, plus what the table says. */
export interface StatusRow {
  id: string;
  wanted: string;
  state: string;
  pid: number;
  uptimeMs: number | null;
  restarts: number;
  lastExit: UnitRecord['lastExit'];
  nextTry: string | null;
  bundle: string;
  error: string | null;
}

export interface StatusReport {
  supervisor: { running: boolean; pid: number | null; since: string | null; updated: string | null };
  units: StatusRow[];
}

/**
 * Status without asking the supervisor: its state file, with liveness recomputed (a pid that died since is not
 * "running"), table lines in error as `invalid`, table entries it has never seen as `unknown`.
 */
export function statusReport(stateDir: string, table: ParsedTable | undefined, now = Date.now()): StatusReport {
  const state = readState(stateDir);
  const live = liveSupervisor(state);
  const rows = new Map<string, StatusRow>();
  for (const unit of state?.units ?? []) {
    let current = unit.state as string;
    if ((current === 'running' || current === 'stopping') && !isAlive(unit.pid, unit.startTime)) current = live ? 'exited' : 'dead';
    const running = current === 'running' || current === 'stopping';
    rows.set(unit.id, {
      id: unit.id,
      wanted: unit.wanted,
      state: current,
      pid: running ? unit.pid : 0,
      uptimeMs: running && unit.startedAt ? Math.max(0, now - Date.parse(unit.startedAt)) : null,
      restarts: unit.restarts,
      lastExit: unit.lastExit,
      nextTry: unit.nextTry,
      bundle: unit.bundle,
      error: unit.error,
    });
  }
  for (const entry of table?.entries ?? []) {
    if (rows.has(entry.id)) continue;
    const wanted = renderEntry(entry).split(':')[1];
    rows.set(entry.id, { id: entry.id, wanted, state: 'unknown', pid: 0, uptimeMs: null, restarts: 0, lastExit: null, nextTry: null, bundle: entry.bundle, error: live ? null : 'the supervisor has not run it' });
  }
  for (const error of table?.errors ?? state?.tableErrors ?? []) {
    const key = error.id ?? `line ${error.line}`;
    const row = rows.get(key);
    if (row) row.error = error.message;
    else rows.set(key, { id: key, wanted: '?', state: 'invalid', pid: 0, uptimeMs: null, restarts: 0, lastExit: null, nextTry: null, bundle: '', error: error.message });
  }
  return {
    supervisor: { running: live !== undefined, pid: live ?? null, since: state?.supervisor.since ?? null, updated: state?.updated ?? null },
    units: [...rows.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  };
}

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

export function formatExit(exit: UnitRecord['lastExit']): string {
  if (!exit) return '-';
  if (exit.signal) return exit.signal;
  return exit.code === null ? '?' : `code ${exit.code}`;
}
