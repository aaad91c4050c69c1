import type { RunTarget } from '../ansible/run.ts';
import { collectStatus } from '../app/status.ts';
import { runAdhoc } from '../ansible/run.ts';

export interface HealthOptions {
  minUptimeMs: number;
  timeoutMs: number;
  check?: string[];
}

/**
 * Healthy = running, and running for at least the minimum uptime (so a crash shortly after start is caught),
 * on every host of the batch. A container in backoff or crash-loop fails the batch at once.
 */
export async function waitHealthy(target: RunTarget, app: string, hosts: string[], options: HealthOptions): Promise<{ healthy: string[]; unhealthy: { host: string; why: string }[] }> {
  const deadline = Date.now() + options.timeoutMs;
  let why = new Map<string, string>(hosts.map((h) => [h, 'not seen running yet']));
  for (;;) {
    const status = await collectStatus(target, hosts.join(','), app);
    why = new Map();
    for (const host of hosts) {
      const h = status.find((s) => s.host === host);
      const row = h?.apps.find((a) => a.id === app);
      if (!h?.reachable) why.set(host, 'unreachable');
      else if (!row) why.set(host, 'not in the host\'s table');
      else if (row.state === 'backoff' || row.state === 'crash-loop') why.set(host, `${row.state} after ${row.failures ?? 0} quick exits`);
      else if (row.state !== 'running') why.set(host, row.state);
      else if (row.since && Date.now() - Date.parse(row.since) < options.minUptimeMs) why.set(host, 'running, not yet past the minimum uptime');
    }
    if (why.size === 0 && options.check) {
      const checked = await runAdhoc(target, { module: 'command', args: { argv: options.check }, limit: hosts.join(','), connectTimeout: 5, taskTimeout: 30 });
      for (const r of checked.hosts) if (r.status === 'failed' || r.status === 'unreachable') why.set(r.host, `check failed: ${r.message}`);
    }
    // Give up early on what will not heal by waiting: a crash loop, repeated quick exits, a lost host.
    const hopeless = [...why.values()].some((r) => r.startsWith('crash-loop') || /^backoff after ([3-9]|\d\d)/.test(r) || r === 'unreachable');
    if (why.size === 0 || Date.now() > deadline || hopeless) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return {
    healthy: hosts.filter((h) => !why.has(h)),
    unhealthy: [...why.entries()].map(([host, reason]) => ({ host, why: reason })),
  };
}
