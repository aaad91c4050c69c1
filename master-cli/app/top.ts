import type { AppTop, HostMode, HostTop } from '../../base/host-contract.ts';
import type { RunTarget } from '../ansible/run.ts';
import { adhoc } from './adhoc.ts';
import { hostCall, hostReply } from './host-command.ts';

export type AppTopRow = AppTop & { host: string };

export interface HostTopRow {
  host: string;
  reachable: boolean;
  error?: string;
  mode?: HostMode;
  /** The host's own figures (absent where it did not answer, or runs nothing of vz yet). */
  figures?: HostTop;
  apps: AppTopRow[];
}

/** How long each host samples its apps' CPU: long enough for a rate, short beside the round trip it rides on. */
export const DEFAULT_SAMPLE_MS = 200;

/**
 * Every app's live figures and every host's own, in ONE ansible round trip (`runch host top`): the CPU sample is
 * taken on each host, at the same time on all of them. An unreachable host is flagged, never waited for.
 */
export async function collectTop(target: RunTarget, options: { limit?: string; app?: string; sampleMs?: number } = {}): Promise<HostTopRow[]> {
  const request = { ...(options.app ? { app: options.app } : {}), sampleMs: options.sampleMs ?? DEFAULT_SAMPLE_MS };
  const outcome = await adhoc(target, { ...hostCall('top', request, { ifInstalled: true, taskTimeout: 30 }), limit: options.limit, connectTimeout: 5 });
  return outcome.hosts.map((r): HostTopRow => {
    const reply = hostReply('top', r);
    if (reply.kind === 'unreachable') return { host: r.host, reachable: false, error: reply.message, apps: [] };
    if (reply.kind === 'no-runch') return { host: r.host, reachable: true, apps: [] };
    if (reply.kind === 'error') return { host: r.host, reachable: true, error: reply.error.message, apps: [] };
    const { mode, host, apps } = reply.answer;
    return { host: r.host, reachable: true, mode, figures: host, apps: apps.map((a) => ({ ...a, host: r.host })) };
  });
}
