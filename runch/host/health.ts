import { spawnSync } from 'node:child_process';
import type { AppStatus, Health } from '../../base/host-contract.ts';
import type { HostContext } from './context.ts';
import { appRows } from './status.ts';
import { probeHttp, probeTcp, type ProbeResult } from './probe.ts';

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

/** Each probe gets at most this long: a port that takes longer to answer is as good as closed. */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * The serving checks (a TCP port, an HTTP GET), tried against this host's address until they pass or the deadline:
 * a server may bind a moment after its process starts. Between tries the app must still be up: a process that exits
 * (a failed bind) is reported as such, not as a closed port.
 */
async function waitServing(ctx: HostContext, app: string, health: Health, addr: string, deadline: number): Promise<ProbeResult> {
  for (;;) {
    const budget = Math.max(100, Math.min(PROBE_TIMEOUT_MS, deadline - Date.now()));
    let why: ProbeResult;
    if (health.tcp !== undefined) why = await probeTcp(addr, health.tcp, budget);
    if (why === undefined && health.http) why = await probeHttp(addr, health.http, budget);
    if (why === undefined) return undefined;
    const problem = notYet(appRows(ctx, app)[0], { ...health, minUptimeMs: 0 }, Date.now());
    if (problem?.hopeless) return `${why} (${problem.why})`;
    if (Date.now() + POLL_MS * 2 >= deadline) return why;
    await new Promise((r) => setTimeout(r, POLL_MS * 2));
  }
}

/**
 * Wait until the app runs past the minimum uptime, then until it serves (tcp, http: probed on the host against its
 * own address), then run the check: inside `runch host apply`, so the master's deploy pays no round trip for it.
 * Gives up early on what waiting will not heal (a crash loop). The uptime is asked again after the serving checks:
 * a server that bound, answered once and died is not healthy.
 */
export async function waitHealthy(ctx: HostContext, app: string, health: Health, addr = '127.0.0.1'): Promise<{ healthy: boolean; why?: string }> {
  const deadline = Date.now() + health.timeoutMs;
  const settled = async (): Promise<string | undefined> => {
    for (;;) {
      const problem = notYet(appRows(ctx, app)[0], health, Date.now());
      if (!problem) return undefined;
      if (problem.hopeless || Date.now() >= deadline) return problem.why;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  };
  const first = await settled();
  if (first) return { healthy: false, why: first };
  if (health.tcp !== undefined || health.http) {
    const why = await waitServing(ctx, app, health, addr, deadline);
    if (why) return { healthy: false, why };
    const after = notYet(appRows(ctx, app)[0], health, Date.now());
    if (after) return { healthy: false, why: after.why };
  }
  if (!health.check) return { healthy: true };
  const run = spawnSync(health.check[0], health.check.slice(1), { stdio: 'ignore', timeout: Math.max(1_000, deadline - Date.now()) });
  if (run.error) return { healthy: false, why: `check ${health.check[0]}: ${(run.error as NodeJS.ErrnoException).code ?? run.error.message}` };
  if (run.status !== 0) return { healthy: false, why: `check failed: ${health.check[0]} exited ${run.status ?? run.signal}` };
  return { healthy: true };
}
