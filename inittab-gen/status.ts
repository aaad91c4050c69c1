import type { StateStore } from '../runch/state/store.ts';
import type { InitEntry } from './entry.ts';
import { readTally } from './tally.ts';
import { textTable } from '../base/text-table.ts';

export interface InitStatus {
  id: string;
  wanted: InitEntry['action'];
  state: 'running' | 'backoff' | 'crash-loop' | 'stopped' | 'exited';
  pid?: number;
  since?: string;
  /** Quick exits in a row (what the backoff is counting). */
  failures: number;
  nextTry?: string;
  bundle: string;
}

/** Recomputed from the live system (runch's state) and the respawn tally, never from the table alone. */
export function initStatus(store: StateStore, entry: InitEntry, now = Date.now()): InitStatus {
  const tally = readTally(store, entry.id);
  const state = store.exists(entry.id) ? store.load(entry.id) : undefined;
  const row: InitStatus = { id: entry.id, wanted: entry.action, state: 'stopped', failures: tally?.policy.streak ?? 0, bundle: entry.bundle };
  if (state && state.status !== 'stopped') return { ...row, state: 'running', pid: state.pid, since: state.created };
  if (tally && (tally.state === 'backoff' || tally.state === 'crash-loop') && tally.nextTry !== undefined && tally.nextTry > now - 1_000)
    return { ...row, state: tally.state, nextTry: new Date(tally.nextTry).toISOString() };
  return { ...row, state: entry.action === 'off' || !state ? 'stopped' : 'exited' };
}

export function formatStatus(rows: InitStatus[]): string {
  const header = ['ID', 'WANTED', 'STATE', 'PID', 'SINCE', 'FAILURES', 'NEXT TRY', 'BUNDLE'];
  const cells = rows.map((r) => [r.id, r.wanted, r.state, r.pid ? String(r.pid) : '-', r.since ?? '-', String(r.failures), r.nextTry ?? '-', r.bundle]);
  return textTable(header, cells);
}
