import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import type { AppStatus, StatusAnswer } from '../../base/host-contract.ts';
import { modeFile, readMode } from '../../inittab-gen/mode.ts';
import { initStatus } from '../../inittab-gen/status.ts';
import { supervisedStatus } from '../../inittab-gen/supervised.ts';
import { toInitEntry } from '../../inittab-gen/table.ts';
import { detectInit } from '../../inittab-gen/detect.ts';
import { systemdUnits } from '../../inittab-gen/systemd-status.ts';
import { readTable, type TableEntry } from '../../supervisor/table/index.ts';
import { DEFAULT_POLICY } from '../../supervisor/policy/config.ts';
import type { HostContext } from './context.ts';

const IMAGE_FILE = /^[0-9a-f]{64}\.tar(\.gz|\.zst)?$/;

/** Every app of the table as the host sees it now, in either mode (one answer, one round trip for the master). */
export function appRows(ctx: HostContext, only?: string): AppStatus[] {
  const parsed = readTable(ctx.config.table);
  const entries = parsed.entries.filter((e) => only === undefined || e.id === only);
  const supervised = readMode(modeFile(ctx.config.table)) === 'supervisor' ? new Map(supervisedStatus(ctx.config.table).map((r) => [r.id, r])) : undefined;
  // systemd in init mode: its word on every unit, from one `systemctl show` (a unit it gave up on is not "stopped").
  const units = !supervised && onSystemd(ctx) ? systemdUnits(entries.filter((e) => e.action === 'respawn' || e.action === 'once').map((e) => e.id)) : undefined;
  return entries.map((entry) => {
    const live = supervised ? supervised.get(entry.id) : initStatus(ctx.host.store, toInitEntry(entry));
    const row: AppStatus = {
      id: entry.id,
      wanted: entry.action,
      state: supervised || live?.state !== 'running' || !settingUp(ctx, entry.id) ? honestState(live?.state ?? 'unknown', live?.failures ?? 0, live?.since) : 'starting',
      failures: live?.failures ?? 0,
      bundle: entry.bundle,
      version: basename(entry.bundle),
      restart: restartOf(entry),
    };
    if (live?.pid) row.pid = live.pid;
    if (live?.since) row.since = live.since;
    if (live?.nextTry) row.nextTry = live.nextTry;
    if (entry.schedule) row.schedule = entry.schedule;
    const error = live && 'error' in live ? live.error : undefined;
    if (error) row.error = error;
    const unit = units?.get(entry.id);
    if (unit && unit.active === 'failed' && row.state !== 'running') {
      // e.g. on-failure:N used up (the start limit): down for good until the next start.
      row.state = 'exited';
      row.failures = Math.max(row.failures, unit.restarts);
      row.error = `systemd gave up on vz-${entry.id}.service (${unit.result}, ${unit.restarts} restarts)`;
    }
    return row;
  });
}

function onSystemd(ctx: HostContext): boolean {
  try {
    return detectInit(ctx.host.init).kind === 'systemd';
  } catch {
    return false;
  }
}

/** How long a respawned process must stay up before its quick exits are forgotten (the restart policy's stableMs). */
const STABLE_MS = DEFAULT_POLICY.stableMs;

/**
 * A process that exited quickly twice or more in a row and was started again is up right now, but that is the crash
 * loop's rhythm, not a service: until it has lived past the stable time it shows `restarting`, never `running`
 * (issue 11: nginx failing to bind showed `running` between respawns). One exit is not enough: a version switch or
 * a one-off crash (restarted at once) ends one run, and the new one is a service until it too dies quickly.
 */
export function honestState(state: string, failures: number, since: string | undefined, now = Date.now()): string {
  if (state !== 'running' || failures < 2 || since === undefined) return state;
  return now - Date.parse(since) < STABLE_MS ? 'restarting' : state;
}

/** Init mode: a container runch is still setting up (`creating`, `created`) is up but not serving yet: `starting`. */
function settingUp(ctx: HostContext, id: string): boolean {
  try {
    const status = ctx.host.store.exists(id) ? ctx.host.store.load(id).status : undefined;
    return status === 'creating' || status === 'created';
  } catch {
    return false; // a damaged state reads as no state: initStatus says so
  }
}

export function restartOf(entry: TableEntry): AppStatus['restart'] {
  return entry.restartMax === undefined ? { policy: entry.restart } : { policy: entry.restart, max: entry.restartMax };
}

/** sha1 of the running runch file, as ansible's copy computes it: the master sends runch only where it differs. */
async function runchSha1(): Promise<string> {
  try {
    // node:crypto only here: loading it costs a plain status ~20 ms.
    const { createHash } = await import('node:crypto');
    return createHash('sha1').update(readFileSync(realpathSync(process.argv[1]))).digest('hex');
  } catch {
    return '';
  }
}

function images(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => IMAGE_FILE.test(name)).sort();
  } catch {
    return [];
  }
}

export async function hostStatus(ctx: HostContext, request: { app?: string; runch?: boolean }): Promise<StatusAnswer> {
  const answer: StatusAnswer = { ok: true, mode: readMode(modeFile(ctx.config.table)), runtime: ctx.config.runtime, images: images(ctx.config.images), apps: appRows(ctx, request.app) };
  if (request.runch) answer.runchSha1 = await runchSha1();
  return answer;
}
