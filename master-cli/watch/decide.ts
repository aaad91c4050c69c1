/**
 * The watch's decision for one round: pure (state x observations) -> (state, events, apps to reconcile), so every rule
 * is tested with plain data (test/master/watch-decide.test.ts). The rules:
 * - a host that does not answer is "missed"; only `lostAfter` consecutive misses declare it lost (never one);
 * - an app is left alone while one of its hosts is missed but not yet lost (the next rounds tell);
 * - an app is reconciled (its last deploy again, placed as deploy places) when a host holding it is lost, when more
 *   hosts run it than it wants (a lost host came back), or when it runs short and the reachable hosts changed since the
 *   last attempt (so a placement that cannot succeed is not retried every round);
 * - crash-looping is reported once per episode, per app and host.
 */
import type { HostStatus } from '../app/status.ts';
import type { WatchEvent } from './events.ts';

export interface HostMemory {
  /** Consecutive rounds without an answer. */
  misses: number;
  lost: boolean;
  /** When the first of the current misses was seen. */
  since?: string;
}

export interface WatchState {
  hosts: Record<string, HostMemory>;
  /** "app@host" pairs currently crash-looping (notified when they start). */
  crashLooping: string[];
  /** Per app: the reachable hosts when a short app was last reconciled (retried only when they change). */
  attempts: Record<string, string>;
}

export const EMPTY_STATE: WatchState = { hosts: {}, crashLooping: [], attempts: {} };

/** What the watch knows of a deployed app: its last deploy's record. */
export interface AppView {
  app: string;
  replicas: number;
  /** Where the last deploy put it. */
  hosts: string[];
  deployedAt: string;
}

export interface Reconcile {
  app: string;
  deployedAt: string;
  why: string;
  /** The signature kept in state.attempts once acted on. */
  reachable: string;
}

export interface Decision {
  state: WatchState;
  events: WatchEvent[];
  reconcile: Reconcile[];
  /** Apps left alone this round, and the missed hosts they wait for. */
  waiting: { app: string; hosts: string[] }[];
}

export function decide(previous: WatchState, status: HostStatus[], apps: AppView[], lostAfter: number, now: Date): Decision {
  const at = now.toISOString();
  const events: WatchEvent[] = [];
  const hosts: Record<string, HostMemory> = {};
  for (const s of status) {
    const before = previous.hosts[s.host] ?? { misses: 0, lost: false };
    if (s.reachable) {
      if (before.lost) events.push({ event: 'host-back', at, host: s.host, detail: `answers again after ${before.misses} missed checks` });
      hosts[s.host] = { misses: 0, lost: false };
      continue;
    }
    const misses = before.misses + 1;
    const since = before.since ?? at;
    const lost = before.lost || misses >= lostAfter;
    if (lost && !before.lost) events.push({ event: 'host-lost', at, host: s.host, detail: `no answer for ${misses} consecutive checks since ${since}: ${s.error ?? 'unreachable'}` });
    else if (!lost) events.push({ event: 'host-missed', at, host: s.host, detail: `no answer (${misses} of ${lostAfter} before it is declared lost): ${s.error ?? 'unreachable'}` });
    hosts[s.host] = { misses, lost, since };
  }

  const crashLooping: string[] = [];
  for (const s of status)
    for (const a of s.apps) {
      if (a.state !== 'crash-loop') continue;
      const key = `${a.id}@${s.host}`;
      crashLooping.push(key);
      if (!previous.crashLooping.includes(key)) events.push({ event: 'crash-looping', at, app: a.id, host: s.host, detail: `${a.failures} quick exits${a.error ? `: ${a.error}` : ''}` });
    }

  const reachableHosts = status.filter((s) => s.reachable).map((s) => s.host).sort().join(',');
  const reconcile: Reconcile[] = [];
  const waiting: Decision['waiting'] = [];
  const attempts: Record<string, string> = {};
  for (const app of apps) {
    const running = status.filter((s) => s.reachable && s.apps.some((a) => a.id === app.app && a.wanted !== 'off')).map((s) => s.host);
    const missed = app.hosts.filter((h) => hosts[h] && !hosts[h].lost && hosts[h].misses > 0);
    if (missed.length > 0) {
      waiting.push({ app: app.app, hosts: missed });
      if (previous.attempts[app.app]) attempts[app.app] = previous.attempts[app.app];
      continue;
    }
    const lost = app.hosts.filter((h) => hosts[h]?.lost);
    const free = status.some((s) => s.reachable && !running.includes(s.host));
    let why: string | undefined;
    if (lost.length > 0) why = `${lost.join(', ')} lost`;
    else if (running.length > app.replicas) why = `${running.length} replicas run, ${app.replicas} wanted`;
    else if (running.length < app.replicas && free && previous.attempts[app.app] !== reachableHosts) why = `${running.length} of ${app.replicas} replicas run`;
    if (why) reconcile.push({ app: app.app, deployedAt: app.deployedAt, why, reachable: reachableHosts });
    else if (running.length < app.replicas && previous.attempts[app.app]) attempts[app.app] = previous.attempts[app.app];
  }
  return { state: { hosts, crashLooping, attempts }, events, reconcile, waiting };
}
