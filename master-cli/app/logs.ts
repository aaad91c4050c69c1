import type { RunTarget } from '../ansible/run.ts';
import { runAdhoc } from '../ansible/run.ts';
import { VzError } from '../../base/errors.ts';
import { HOST_LOG_DIR, HOST_RUNCH } from './host-paths.ts';
import { runchArgv } from './ops.ts';

export interface HostLogs {
  host: string;
  lines: string[];
  error?: string;
}

/**
 * The last lines of an app's log from every host that has one, in one round trip. A host without the app's log, or
 * without runch at all (vz never ran anything there), is not one of them; no host having it is an error.
 */
export async function collectLogs(target: RunTarget, app: string, lines: number, limit?: string): Promise<HostLogs[]> {
  const outcome = await runAdhoc(target, { module: 'command', args: runchArgv('logs', app, '-n', String(lines), '--log-dir', HOST_LOG_DIR), limit, connectTimeout: 5, taskTimeout: 30 });
  const logs = outcome.hosts
    .map((r): HostLogs | undefined => {
      if (r.status === 'unreachable') return { host: r.host, lines: [], error: `unreachable: ${r.message}` };
      // The command module's msg is only "non-zero return code": runch's own line is in stderr.
      const said = `${r.message}\n${r.result.stderr ?? ''}`;
      const noRunch = said.includes(HOST_RUNCH) && /No such file/.test(said);
      if (r.status === 'failed') return noRunch || /no log for/.test(said) ? undefined : { host: r.host, lines: [], error: r.message };
      const text = r.result.stdout ?? '';
      return { host: r.host, lines: text === '' ? [] : text.split('\n') };
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
