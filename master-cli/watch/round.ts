/**
 * One round of `vzmaster watch`: ONE status round trip to every host, the pure decision (decide.ts), then each action
 * through deploy's own reconcile (the app's deploy lock held, placed exactly as deploy places), then the events:
 * logged as JSON, appended to events.jsonl, and given to the notify hook. Rounds never overlap: a round holds the
 * watch's lock in the master's state dir, so a cron-run `--once` and a foreground watch cannot both act.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { VzError } from '../../base/errors.ts';
import { withLock } from '../../base/lock.ts';
import type { RunTarget } from '../ansible/run.ts';
import { collectStatus } from '../app/status.ts';
import { reconcile } from '../deploy/deploy.ts';
import { manifestSchema } from '../deploy/manifest.ts';
import { listRecords } from '../deploy/record.ts';
import { type AppView, decide } from './decide.ts';
import { appendEvents, NOTIFIED, type WatchEvent } from './events.ts';
import { notify } from './notify.ts';
import { readWatchState, writeWatchState } from './state.ts';

export interface RoundOptions {
  /** Consecutive missed checks before a host is declared lost (>= 2: one miss is never acted on). */
  lostAfter: number;
  /** The user's hook command line (notify.ts), or none. */
  notify?: string;
  log: Logger;
  now?: () => Date;
}

export interface RoundReport {
  events: WatchEvent[];
  acted: { app: string; why: string; outcome: 'done' | 'skipped' | 'failed' }[];
  waiting: { app: string; hosts: string[] }[];
}

export async function watchRound(target: RunTarget, o: RoundOptions): Promise<RoundReport> {
  mkdirSync(join(target.stateDir, 'locks'), { recursive: true });
  return withLock(join(target.stateDir, 'locks', 'watch'), 'the watch', () => round(target, o), 0);
}

function appsOf(target: RunTarget, log: Logger): AppView[] {
  const apps: AppView[] = [];
  for (const record of listRecords(target.stateDir)) {
    const manifest = manifestSchema.safeParse(record.manifest);
    if (!manifest.success) {
      log.warn({ decision: 'ignore', app: record.app }, `the last deploy's manifest of "${record.app}" no longer reads: deploy it again`);
      continue;
    }
    apps.push({ app: record.app, replicas: manifest.data.replicas, hosts: record.hosts, deployedAt: record.deployedAt });
  }
  return apps;
}

async function round(target: RunTarget, o: RoundOptions): Promise<RoundReport> {
  const now = o.now ?? (() => new Date());
  const status = await collectStatus(target, undefined, undefined, { runch: true });
  const decision = decide(readWatchState(target.stateDir), status, appsOf(target, o.log), o.lostAfter, now());
  const events = [...decision.events];
  const acted: RoundReport['acted'] = [];
  for (const w of decision.waiting) o.log.info({ decision: 'wait', app: w.app, hosts: w.hosts }, `${w.app}: waiting, ${w.hosts.join(', ')} missed a check but is not lost yet`);
  for (const r of decision.reconcile) {
    o.log.info({ decision: 'reconcile', app: r.app, why: r.why }, `${r.app}: ${r.why}: placing its replicas again`);
    const at = now().toISOString();
    try {
      const report = await reconcile(target, r.app, r.deployedAt, status);
      if (!report) {
        o.log.info({ decision: 'skip', app: r.app }, `${r.app}: a deploy changed it meanwhile; the next round looks again`);
        acted.push({ app: r.app, why: r.why, outcome: 'skipped' });
        continue;
      }
      const { added, removed, unplaced } = report.placement;
      if (added.length > 0) events.push({ event: 'rescheduled', at, app: r.app, hosts: added, detail: `${r.why}: a replica started on ${added.join(', ')}` });
      if (removed.length > 0) events.push({ event: 'surplus-stopped', at, app: r.app, hosts: removed, detail: `${r.why}: the surplus replica stopped on ${removed.join(', ')}` });
      if (unplaced > 0) {
        events.push({ event: 'rescheduling-impossible', at, app: r.app, detail: `${r.why}: ${unplaced} replica(s) found no reachable host; add a host (vzmaster newnode) or lower replicas` });
        decision.state.attempts[r.app] = r.reachable;
      } else delete decision.state.attempts[r.app];
      if (report.failed) events.push({ event: 'action-failed', at, app: r.app, detail: `${r.why}: the deploy failed${report.rolledBack ? ' and was rolled back' : ''}: ${report.hosts.filter((h) => h.status === 'failed').map((h) => `${h.host}: ${h.message}`).join('; ')}` });
      acted.push({ app: r.app, why: r.why, outcome: report.failed ? 'failed' : 'done' });
    } catch (error) {
      if (error instanceof VzError && error.code === 'locked') {
        // A person's deploy of this app is running: it places the replicas itself; the next round looks again.
        o.log.info({ decision: 'skip', app: r.app }, `${r.app}: ${error.message}`);
        acted.push({ app: r.app, why: r.why, outcome: 'skipped' });
        continue;
      }
      events.push({ event: 'action-failed', at, app: r.app, detail: `${r.why}: ${error instanceof Error ? error.message : String(error)}` });
      acted.push({ app: r.app, why: r.why, outcome: 'failed' });
    }
  }
  await writeWatchState(target.stateDir, decision.state);
  appendEvents(target.stateDir, events);
  for (const event of events) {
    o.log.info({ ...event }, `${event.event}${event.app ? ` ${event.app}` : ''}${event.host ? ` ${event.host}` : ''}: ${event.detail}`);
    if (!o.notify || !NOTIFIED.has(event.event)) continue;
    const hook = await notify(o.notify, event);
    if (!hook.ok) o.log.warn({ hook: 'failed', event: event.event }, `the notify hook failed: ${hook.detail}`);
  }
  return { events, acted, waiting: decision.waiting };
}
