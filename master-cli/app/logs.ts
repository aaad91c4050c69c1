import type { RunTarget } from '../ansible/run.ts';
import { VzError } from '../../base/errors.ts';
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
