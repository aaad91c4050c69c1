import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import type { AppStatus, StatusAnswer } from '../../base/host-contract.ts';
import { modeFile, readMode } from '../../inittab-gen/mode.ts';
import { initStatus } from '../../inittab-gen/status.ts';
import { supervisedStatus } from '../../inittab-gen/supervised.ts';
import { toInitEntry } from '../../inittab-gen/table.ts';
import { readTable, type TableEntry } from '../../supervisor/table/index.ts';
import type { HostContext } from './context.ts';

const IMAGE_FILE = /^[0-9a-f]{64}\.tar(\.gz|\.zst)?$/;

/** Every app of the table as the host sees it now, in either mode (one answer, one round trip for the master). */
export function appRows(ctx: HostContext, only?: string): AppStatus[] {
  const parsed = readTable(ctx.config.table);
  const entries = parsed.entries.filter((e) => only === undefined || e.id === only);
  const supervised = readMode(modeFile(ctx.config.table)) === 'supervisor' ? new Map(supervisedStatus(ctx.config.table).map((r) => [r.id, r])) : undefined;
  return entries.map((entry) => {
    const live = supervised ? supervised.get(entry.id) : initStatus(ctx.host.store, toInitEntry(entry));
    const row: AppStatus = {
      id: entry.id,
      wanted: entry.action,
      state: live?.state ?? 'unknown',
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
    return row;
  });
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
  const answer: StatusAnswer = { ok: true, mode: readMode(modeFile(ctx.config.table)), images: images(ctx.config.images), apps: appRows(ctx, request.app) };
  if (request.runch) answer.runchSha1 = await runchSha1();
  return answer;
}
