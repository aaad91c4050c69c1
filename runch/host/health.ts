import { spawnSync } from 'node:child_process';
import type { AppStatus, Health } from '../../base/host-contract.ts';
import type { HostContext } from './context.ts';
import { appRows } from './status.ts';

const POLL_MS = 100;

/** Why the app is not healthy yet, or undefined when it is (pure: one status row, the clock). */
export function notYet(row: AppStatus | undefined, health: Health, now: number): { why: string; hopeless: boolean } | undefined {
  if (!row) return { why: "not in the host's table", hopeless: true };
  // A cron entry runs at its times: registered (and not in error) is all a deploy can ask of it.
  if (row.wanted === 'cron') return row.error ? { why: row.error, hopeless: true } : undefined;
  if (row.state === 'crash-loop') return { why: `crash-loop after ${row.failures} quick exits`, hopeless: true };
  if (row.state === 'backoff') return { why: `backoff after ${row.failures} quick exits`, hopeless: row.failures >= 3 };
  // restart "no" (init's once): it ran and ended, as the manifest asks.
  if (row.restart.policy === 'no' && (row.state === 'exited' || row.state === 'stopped') && row.wanted !== 'off') return undefined;
  if (row.state !== 'running') return { why: row.state, hopeless: false };
  if (row.since && now - Date.parse(row.since) < health.minUptimeMs) return { why: 'running, not yet past the minimum uptime', hopeless: false };
  return undefined;
}

/**
 * Wait until the app runs past the minimum uptime, then run the check: inside `runch host apply`, so the master's
 * deploy pays no round trip for it. Gives up early on what waiting will not heal (a crash loop).
 */
export async function waitHealthy(ctx: HostContext, app: string, health: Health): Promise<{ healthy: boolean; why?: string }> {
  const deadline = Date.now() + health.timeoutMs;
  for (;;) {
    const problem = notYet(appRows(ctx, app)[0], health, Date.now());
    if (!problem) break;
    if (problem.hopeless || Date.now() >= deadline) return { healthy: false, why: problem.why };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  if (!health.check) return { healthy: true };
  const run = spawnSync(health.check[0], health.check.slice(1), { stdio: 'ignore', timeout: Math.max(1_000, deadline - Date.now()) });
  if (run.error) return { healthy: false, why: `check ${health.check[0]}: ${(run.error as NodeJS.ErrnoException).code ?? run.error.message}` };
  if (run.status !== 0) return { healthy: false, why: `check failed: ${health.check[0]} exited ${run.status ?? run.signal}` };
  return { healthy: true };
}
