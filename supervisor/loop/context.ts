import type { Logger } from 'pino';
import type { StateStore } from '../../runch/state/store.ts';
import type { PolicyConfig } from '../policy/index.ts';
import type { UnitRecord } from '../state/file.ts';
import type { TableEntry } from '../table/index.ts';
import type { Scheduler } from './cron.ts';
import type { Unit } from './unit.ts';
import type { AdoptWatch, LogWatch } from './watch.ts';

/** What a unit needs from the supervisor around it. */
export interface UnitContext {
  store: StateStore;
  logDir: string;
  policy: PolicyConfig;
  log: Logger;
  adopt: AdoptWatch;
  logs: LogWatch;
  /** The state changed: write it to disk soon. */
  changed(): void;
  /** Re-read the table now if it changed on disk (a `runch disable` may just have set this entry off). */
  refreshTable(): void;
  shuttingDown(): boolean;
  /** A removed entry has stopped: drop it. */
  forget(unit: Unit): void;
  /** Lazily loaded node-cron (only hosts with cron entries pay for it). */
  schedule: Scheduler;
}

/** The table's action as the state file names it ("respawn", "cron 0 3 * * *"...). */
export function actionText(entry: TableEntry): string {
  return entry.action === 'cron' ? `cron ${entry.schedule}` : entry.action;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** What the state file keeps of a unit (runch status reads it). */
export function recordOf(unit: Unit): UnitRecord {
  return {
    id: unit.id,
    wanted: unit.removed ? 'removed' : actionText(unit.entry),
    state: unit.state,
    bundle: unit.entry.bundle,
    pid: unit.pid,
    startTime: unit.startTime,
    restarts: unit.tally.restarts,
    since: new Date(unit.sinceMs).toISOString(),
    startedAt: iso(unit.startedAtMs),
    lastExit: unit.lastExit,
    nextTry: iso(unit.nextTryMs),
    error: unit.error,
    held: unit.held,
    tally: unit.tally,
  };
}
