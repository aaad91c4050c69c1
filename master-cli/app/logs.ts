import type { RunTarget } from '../ansible/run.ts';
import { VzError } from '../../base/errors.ts';
import type { LogCursor } from '../../base/host-contract.ts';
import { adhoc } from './adhoc.ts';
import { hostCall, hostReply } from './host-command.ts';

export interface HostLogs {
  host: string;
  lines: string[];
  error?: string;
}

/**
 * The last lines of an app's log from every host that has one, in one round trip (`runch host logs`). A host
 * without the app's log (code not-found), or without runch at all, is not one of them; no host having it is an error.
 */
export async function collectLogs(target: RunTarget, app: string, lines: number, limit?: string): Promise<HostLogs[]> {
  const outcome = await adhoc(target, { ...hostCall('logs', { app, lines }, { ifInstalled: true, taskTimeout: 30 }), limit, connectTimeout: 5 });
  const logs = outcome.hosts
    .map((r): HostLogs | undefined => {
      const reply = hostReply('logs', r);
      if (reply.kind === 'unreachable') return { host: r.host, lines: [], error: `unreachable: ${reply.message}` };
      if (reply.kind === 'no-runch') return undefined;
      if (reply.kind === 'error') return reply.error.code === 'not-found' ? undefined : { host: r.host, lines: [], error: reply.error.message };
      return { host: r.host, lines: reply.answer.lines };
    })
    .filter((h): h is HostLogs => h !== undefined);
  if (logs.length === 0) throw new VzError('not-found', `no host${limit ? ` matching "${limit}"` : ''} has a log of app "${app}": check the name with "vzmaster status"`);
  return logs;
}

/** Lines prefixed by host, aligned: the habit of `kubectl logs --prefix` and `docker compose logs`. */
export function formatLogs(logs: HostLogs[]): string {
  const width = Math.max(0, ...logs.map((l) => l.host.length));
  const out: string[] = [];
  for (const l of logs) {
    if (l.error) out.push(`${l.host.padEnd(width)} | (${l.error})`);
    for (const line of l.lines) out.push(`${l.host.padEnd(width)} | ${line}`);
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

export interface FollowOptions {
  lines: number;
  limit?: string;
  /** Pause between two polls (each poll is one short ansible call). */
  intervalMs: number;
  /** Aborted on Ctrl-C: the poll under way ends (or ansible, interrupted too, gives up), and no other starts. */
  signal: AbortSignal;
  /** New lines of one host, in order; `note` is vzmaster's own word (unreachable, lines lost to rotation). */
  onLines(host: string, lines: string[], note?: string): void;
  /** The hosts of each poll, before their lines (a printer aligns its prefixes on them). */
  onHosts?(hosts: string[]): void;
}

/**
 * `vzmaster logs APP -f`: every host's log followed by polling, no process left behind on any host. Each poll is ONE
 * ansible call of `runch host logs` carrying every host's cursor (keyed by inventory name: the host picks its own),
 * which reads what was written since and exits. The first poll gives the last `lines` lines; a host seen for the
 * first time later (back from unreachable) starts the same way.
 */
export async function followLogs(target: RunTarget, app: string, options: FollowOptions): Promise<void> {
  const cursors: Record<string, LogCursor> = {};
  const unreachable = new Set<string>();
  for (let first = true; !options.signal.aborted; first = false) {
    let outcome;
    try {
      const call = hostCall('logs', { app, lines: options.lines, cursors }, { ifInstalled: true, taskTimeout: 20, withSelf: true });
      outcome = await adhoc(target, { ...call, limit: options.limit, connectTimeout: 5 });
    } catch (error) {
      if (options.signal.aborted) return; // ansible got the same Ctrl-C
      throw error;
    }
    options.onHosts?.(outcome.hosts.map((r) => r.host));
    let found = 0;
    for (const r of outcome.hosts) {
      const reply = hostReply('logs', r);
      if (reply.kind === 'unreachable') {
        if (!unreachable.has(r.host)) options.onLines(r.host, [], `unreachable: ${reply.message}`);
        unreachable.add(r.host);
        delete cursors[r.host];
        continue;
      }
      if (unreachable.delete(r.host)) options.onLines(r.host, [], 'reachable again');
      if (reply.kind === 'no-runch' || (reply.kind === 'error' && reply.error.code === 'not-found')) continue;
      if (reply.kind === 'error') {
        options.onLines(r.host, [], reply.error.message);
        continue;
      }
      found++;
      const { lines, cursor, gap } = reply.answer;
      if (gap) options.onLines(r.host, [], 'some lines were rotated away before they could be read');
      if (lines.length > 0) options.onLines(r.host, lines);
      if (cursor) cursors[r.host] = cursor;
    }
    if (first && found === 0 && unreachable.size === 0)
      throw new VzError('not-found', `no host${options.limit ? ` matching "${options.limit}"` : ''} has a log of app "${app}": check the name with "vzmaster status"`);
    await pause(options.intervalMs, options.signal);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
