import { isAlive } from '../base/proc.ts';
import { readState, stateDir } from '../supervisor/state/file.ts';
import { statusReport } from '../supervisor/status.ts';
import { readTable } from '../supervisor/table/index.ts';
import type { InitStatus } from './status.ts';

/** A row of `runch init status` on a supervisor-mode host: the supervisor's own states, init status's fields. */
export type SupervisedStatus = Omit<InitStatus, 'state'> & { state: string; error?: string };

/**
 * Supervisor mode's rows in init status's shape, so one command (and one vzmaster round trip) reads either mode:
 * the supervisor's state file, liveness rechecked (supervisor/status.ts), its death streak as `failures`.
 */
export function supervisedStatus(table: string, now = Date.now()): SupervisedStatus[] {
  let parsed;
  try {
    parsed = readTable(table);
  } catch {
    parsed = undefined;
  }
  const dir = stateDir();
  const streaks = new Map((readState(dir)?.units ?? []).map((u) => [u.id, u.tally.streak]));
  return statusReport(dir, parsed, now).units.map((u) => {
    const row: SupervisedStatus = { id: u.id, wanted: u.wanted as InitStatus['wanted'], state: u.state, failures: streaks.get(u.id) ?? 0, bundle: u.bundle };
    if (u.pid) row.pid = u.pid;
    if (u.uptimeMs !== null) row.since = new Date(now - u.uptimeMs).toISOString();
    if (u.nextTry) row.nextTry = u.nextTry;
    if (u.error) row.error = u.error;
    return row;
  });
}

/**
 * After a stop or remove in supervisor mode: wait (bounded) until the supervisor no longer runs `id`, so the
 * command returns once the container is down, as it does in init mode. False when it did not in time.
 */
export async function waitSupervisedDown(id: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const unit = readState(stateDir())?.units.find((u) => u.id === id);
    const up = unit && (unit.state === 'running' || unit.state === 'stopping' || unit.state === 'starting') && isAlive(unit.pid, unit.startTime);
    if (!up) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * After a set or start in supervisor mode: wait (bounded) until the supervisor has acted on the new entry (a run
 * of this bundle begun, or an end state such as backoff, since `editedMs`), so vzmaster's next status or health
 * check never reads the run before it. False when it did not in time.
 */
export async function waitSupervisedUp(id: string, bundle: string, editedMs: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const unit = readState(stateDir())?.units.find((u) => u.id === id);
    const settled = unit && unit.bundle === bundle && Date.parse(unit.since) >= editedMs && !['stopping', 'starting', 'stopped'].includes(unit.state);
    if (settled) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
