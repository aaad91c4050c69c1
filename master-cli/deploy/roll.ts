import { basename } from 'node:path';
import type { Health, Runtime } from '../../base/host-contract.ts';
import type { RunTarget } from '../ansible/run.ts';
import type { HostStatus as Verdict } from '../ansible/result.ts';
import type { HostMode } from '../app/host-mode.ts';
import { ensureRunch, newSteps, pushImage, removeApp, runchSha1, startApp, type StartOptions, type StepReporter, versionName } from '../app/ops.ts';
import type { HostStatus } from '../app/status.ts';

/** What a host must run: the app at a version (image + config), its restart policy or schedule, its health bar. */
export type Wanted = Omit<StartOptions, 'modes' | 'health'> & { health: Health };

export interface RollOptions {
  wanted: Wanted;
  /** The version to go back to if a batch is unhealthy (read only then). */
  previous?: () => Promise<Wanted>;
  targets: string[];
  remove: string[];
  batch: number;
  modes: Map<string, HostMode>;
  /** Each host's runtime (the inventory's vz_runtime): part of the version a host runs. */
  runtimes: Map<string, Runtime>;
  /** The deploy's own status round trip, before anything changed. */
  status: HostStatus[];
  onStep?: StepReporter;
}

type Outcome = { host: string; status: Verdict; message: string };

/**
 * Does the host already run what is wanted, healthy, with this vzmaster's runch? Then a deploy sends it nothing: an
 * unchanged redeploy costs the status round trip alone. A health check command is never assumed: it runs again.
 */
export function isCurrent(s: HostStatus | undefined, wanted: Wanted, mode: HostMode, sha1: string, runtime: Runtime = 'runch', now = Date.now()): boolean {
  if (!s?.reachable || s.mode !== mode || s.runchSha1 !== sha1 || wanted.health.check) return false;
  const row = s.apps.find((a) => a.id === wanted.app);
  if (!row || row.wanted === 'off' || row.version !== versionName(wanted.digest, wanted.config, runtime)) return false;
  if (row.restart.policy !== wanted.restart.policy || row.restart.max !== wanted.restart.max || row.schedule !== wanted.schedule) return false;
  if (row.wanted === 'cron') return true;
  return row.state === 'running' && row.since !== undefined && now - Date.parse(row.since) >= wanted.health.minUptimeMs;
}

/**
 * The rolling update: per batch, runch and the image copied only to hosts that lack them (the status said), then
 * one `runch host apply` that also waits for health on the host: at most three ansible runs a batch, none for a
 * host already current. An unhealthy batch goes back to the previous version and ends the roll.
 */
export async function rollOut(target: RunTarget, o: RollOptions): Promise<{ outcomes: Outcome[]; notes: string[]; rolledBack: boolean; failed: boolean }> {
  const outcomes = new Map<string, Outcome>();
  const notes: string[] = [];
  const byHost = new Map(o.status.map((s) => [s.host, s]));
  const sha1 = runchSha1();
  const image = basename(o.wanted.imageFile);
  let rolledBack = false;
  let stopped = false;
  for (let i = 0; i < o.targets.length && !stopped; i += o.batch) {
    const batch = o.targets.slice(i, i + o.batch);
    const todo = batch.filter((h) => !isCurrent(byHost.get(h), o.wanted, o.modes.get(h) ?? 'init', sha1, o.runtimes.get(h) ?? 'runch'));
    for (const h of batch) if (!todo.includes(h)) outcomes.set(h, { host: h, status: 'ok', message: '' });
    if (todo.length === 0) continue;
    const steps = newSteps(target, undefined, o.onStep, todo);
    const needRunch = todo.filter((h) => byHost.get(h)?.runchSha1 !== sha1);
    if (needRunch.length > 0) await ensureRunch(steps, needRunch);
    const needImage = (steps.hosts ?? []).filter((h) => !(byHost.get(h)?.images ?? []).includes(image));
    if (needImage.length > 0) await pushImage(steps, o.wanted.imageFile, needImage);
    const answers = await startApp(steps, { ...o.wanted, modes: o.modes });
    for (const r of steps.summary()) outcomes.set(r.host, { host: r.host, status: r.status, message: r.message });
    const unhealthy = [...answers].filter(([, a]) => a.healthy === false).map(([h]) => h);
    if (unhealthy.length === 0) continue;
    // The roll ends here either way; "rolled back" is said only when something was (one true thing, issue 11).
    stopped = true;
    const previous = o.previous ? await o.previous() : undefined;
    if (!previous) {
      notes.push(`unhealthy on ${unhealthy.join(', ')}, and no previous image to roll back to: the new version stays there, the rest of the roll did not start`);
      continue;
    }
    rolledBack = true;
    notes.push(`rolled back ${unhealthy.join(', ')} to ${basename(previous.imageFile)}`);
    const back = newSteps(target, undefined, o.onStep, unhealthy);
    await pushImage(back, previous.imageFile);
    await startApp(back, { ...previous, health: undefined, modes: o.modes });
  }
  if (o.remove.length > 0) {
    const steps = newSteps(target, undefined, o.onStep, o.remove);
    await removeApp(steps, o.wanted.app);
    for (const r of steps.summary()) outcomes.set(r.host, { host: r.host, status: r.status, message: r.status === 'changed' ? 'surplus replica removed' : r.message });
  }
  return { outcomes: [...outcomes.values()], notes, rolledBack, failed: stopped };
}
