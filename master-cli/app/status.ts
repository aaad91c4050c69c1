import * as z from 'zod';
import type { RunTarget } from '../ansible/run.ts';
import { runAdhoc } from '../ansible/run.ts';
import { HOST_RUNCH_FLAGS } from './host-paths.ts';
import { runchArgv } from './ops.ts';

/** One row of `runch init status --json` on a host, as vzmaster trusts it. */
const rowSchema = z.looseObject({
  id: z.string(),
  wanted: z.string(),
  state: z.string(),
  pid: z.number().optional(),
  since: z.string().optional(),
  failures: z.number().optional(),
  nextTry: z.string().optional(),
  bundle: z.string(),
});
export type AppRow = z.infer<typeof rowSchema> & { host: string };

export interface HostStatus {
  host: string;
  reachable: boolean;
  error?: string;
  apps: AppRow[];
}

/** Every app on every host in ONE ansible round trip; an unreachable host is flagged, never waited for. */
export async function collectStatus(target: RunTarget, limit?: string, app?: string): Promise<HostStatus[]> {
  const outcome = await runAdhoc(target, { module: 'command', args: runchArgv('init', 'status', '--json', ...HOST_RUNCH_FLAGS), limit, connectTimeout: 5, taskTimeout: 30 });
  return outcome.hosts.map((r) => {
    if (r.status === 'unreachable') return { host: r.host, reachable: false, error: r.message, apps: [] };
    if (r.status === 'failed') {
      // A host where runch was never installed simply runs nothing of vz yet.
      const missing = /No such file|not found/i.test(r.message);
      return { host: r.host, reachable: true, error: missing ? undefined : r.message, apps: [] };
    }
    const parsed = z.array(rowSchema).safeParse(safeJson(r.result.stdout ?? ''));
    if (!parsed.success) return { host: r.host, reachable: true, error: 'runch status printed something vzmaster cannot read', apps: [] };
    const apps = parsed.data.filter((row) => !app || row.id === app).map((row) => ({ ...row, host: r.host }));
    return { host: r.host, reachable: true, apps };
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
