import type { AppStatus, HostMode, Runtime } from '../../base/host-contract.ts';
import { hostRuntimes } from '../inventory/runtime.ts';
import type { RunTarget } from '../ansible/run.ts';
import { adhoc } from './adhoc.ts';
import { hostCall, hostReply } from './host-command.ts';

export type AppRow = AppStatus & { host: string };

export interface HostStatus {
  host: string;
  reachable: boolean;
  error?: string;
  apps: AppRow[];
  /** What the host said of itself (absent where runch is not installed yet). */
  mode?: HostMode;
  /** The runtime the host runs new versions under (its host config), else the inventory's vz_runtime. */
  runtime: Runtime;
  runchSha1?: string;
  images?: string[];
}

/**
 * Every app on every host in ONE ansible round trip (`runch host status`); an unreachable host is flagged, never waited
 * for. `runch`: also each host's runch sha1 (a deploy skips the copy where it matches).
 */
export async function collectStatus(target: RunTarget, limit?: string, app?: string, options: { runch?: boolean } = {}): Promise<HostStatus[]> {
  const request = { ...(app ? { app } : {}), ...(options.runch ? { runch: true } : {}) };
  const outcome = await adhoc(target, { ...hostCall('status', request, { ifInstalled: true, taskTimeout: 30 }), limit, connectTimeout: 5 });
  // The inventory (ansible-inventory: ~0.5 s of python) is read only for a host whose answer lacks its runtime
  // (unreachable, no runch yet, an older runch): status stays one round trip and nothing else.
  let wanted: Map<string, Runtime> | undefined;
  const inventoryRuntime = (host: string) => (wanted ??= hostRuntimes(target.inventory)).get(host) ?? 'runch';
  return outcome.hosts.map((r): HostStatus => {
    const reply = hostReply('status', r);
    if (reply.kind === 'answer' && reply.answer.runtime) {
      const { mode, runchSha1, images, apps, runtime } = reply.answer;
      return { host: r.host, reachable: true, mode, runtime, runchSha1, images, apps: apps.map((row) => ({ ...row, host: r.host })) };
    }
    const runtime = inventoryRuntime(r.host);
    if (reply.kind === 'unreachable') return { host: r.host, reachable: false, error: reply.message, runtime, apps: [] };
    // A host where runch was never installed simply runs nothing of vz yet.
    if (reply.kind === 'no-runch') return { host: r.host, reachable: true, runtime, apps: [] };
    if (reply.kind === 'error') return { host: r.host, reachable: true, error: reply.error.message, runtime, apps: [] };
    const { mode, runchSha1, images, apps } = reply.answer;
    return { host: r.host, reachable: true, mode, runtime, runchSha1, images, apps: apps.map((row) => ({ ...row, host: r.host })) };
  });
}
