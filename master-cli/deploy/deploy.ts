import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { VzError } from '../../base/errors.ts';
import { withLock } from '../../base/lock.ts';
import type { RunTarget } from '../ansible/run.ts';
import type { HostStatus as Verdict } from '../ansible/result.ts';
import { hostModes } from '../app/host-mode.ts';
import { readImageConfig, withEnv } from '../app/image-config.ts';
import { ensureRunch, newSteps, pushImage, removeApp, startApp, type StepReporter } from '../app/ops.ts';
import { collectStatus } from '../app/status.ts';
import { pack } from '../../image/pack.ts';
import { loadInventory } from '../inventory/load.ts';
import { waitHealthy } from './health.ts';
import { type Manifest, manifestSchema } from './manifest.ts';
import { place } from './placement.ts';
import { readRecord, writeRecord } from './record.ts';

export interface HostOutcome {
  host: string;
  status: Verdict;
  message: string;
}

export interface DeployReport {
  app: string;
  image: string;
  hosts: HostOutcome[];
  notes: string[];
  rolledBack: boolean;
}

/** The image a manifest names: as given, or its bundle packed into the master's image cache. */
async function imageOf(manifest: Manifest, stateDir: string): Promise<string> {
  if (manifest.image) return manifest.image;
  const cache = join(stateDir, 'images');
  mkdirSync(cache, { recursive: true });
  return (await pack(manifest.bundle!, cache, { app: manifest.app })).path;
}

function vendorOf(groups: string[], prefix: string): string {
  return groups.find((g) => g.startsWith(prefix)) ?? groups[0] ?? 'default';
}

/**
 * deploy: placement over vendors, then a rolling update in batches, each waited on until healthy; a batch that is
 * not healthy rolls back to the previous image on the hosts it touched and ends the deploy. One deploy per app at
 * a time (a lock on the master naming its holder).
 */
export async function deploy(target: RunTarget, manifest: Manifest, onStep?: StepReporter, imageOverride?: string): Promise<DeployReport> {
  mkdirSync(join(target.stateDir, 'locks'), { recursive: true });
  return withLock(join(target.stateDir, 'locks', manifest.app), `the deploy of "${manifest.app}"`, async () => {
    const image = imageOverride ?? (await imageOf(manifest, target.stateDir));
    const config = withEnv(await readImageConfig(image), manifest.env);
    const inventory = loadInventory(target.inventory);
    hostModes(target.inventory); // a bad vz_mode is refused before anything runs
    const status = await collectStatus(target, undefined, manifest.app);
    const reachable = new Set(status.filter((s) => s.reachable).map((s) => s.host));
    const record = readRecord(target.stateDir, manifest.app);
    // What runs where: what reachable hosts say, and for the hosts that do not answer, what the last deploy left.
    const running = [
      ...status.filter((s) => s.apps.some((a) => a.wanted !== 'off')).map((s) => s.host),
      ...(record?.hosts ?? []).filter((h) => !reachable.has(h)),
    ];
    const hosts = inventory.hosts.map((h) => ({ name: h.name, vendor: vendorOf(h.groups, manifest.spread), reachable: reachable.has(h.name) }));
    const plan = place(hosts, running, manifest.replicas);
    const notes: string[] = [];
    for (const host of plan.lost) notes.push(`${host} is unreachable: its replica is rescheduled`);
    if (plan.unplaced > 0) notes.push(`${plan.unplaced} replica(s) found no reachable host`);
    for (const host of plan.remove) notes.push(`${host}: surplus replica stopped`);

    const previous = record && record.image !== image ? record.image : record?.previousImage;
    const outcomes = new Map<string, HostOutcome>();
    for (const host of plan.lost) outcomes.set(host, { host, status: 'unreachable', message: 'replica moved' });
    let rolledBack = false;
    const targets = [...plan.keep, ...plan.add];
    for (let i = 0; i < targets.length && !rolledBack; i += manifest.rolling.batch) {
      const batch = targets.slice(i, i + manifest.rolling.batch);
      const steps = newSteps(target, batch.join(','), onStep);
      await ensureRunch(steps);
      await pushImage(steps, image);
      await startApp(steps, { app: manifest.app, imageFile: image, config });
      for (const r of steps.summary()) outcomes.set(r.host, { host: r.host, status: r.status, message: r.message });
      const started = steps.hosts ?? [];
      if (started.length === 0) continue;
      const health = await waitHealthy(target, manifest.app, started, {
        minUptimeMs: manifest.rolling.minUptime * 1000,
        timeoutMs: manifest.rolling.timeout * 1000,
        check: manifest.rolling.check,
      });
      for (const bad of health.unhealthy) outcomes.set(bad.host, { host: bad.host, status: 'failed', message: `unhealthy: ${bad.why}` });
      if (health.unhealthy.length > 0) {
        rolledBack = true;
        if (previous) {
          notes.push(`rolled back ${started.join(', ')} to ${previous.split('/').pop()}`);
          const back = newSteps(target, started.join(','), onStep);
          await startApp(back, { app: manifest.app, imageFile: previous, config: withEnv(await readImageConfig(previous), manifest.env) });
        } else notes.push('no previous image to roll back to: the new version stays where it started');
      }
    }
    if (plan.remove.length > 0) {
      const steps = newSteps(target, plan.remove.join(','), onStep);
      await removeApp(steps, manifest.app);
      for (const r of steps.summary()) outcomes.set(r.host, { host: r.host, status: r.status, message: r.status === 'changed' ? 'surplus replica removed' : r.message });
    }
    const { baseDir: _baseDir, ...stored } = manifest as Manifest & { baseDir?: string };
    if (!rolledBack)
      await writeRecord(target.stateDir, { app: manifest.app, image, previousImage: previous, hosts: targets, deployedAt: new Date().toISOString(), manifest: stored });
    return { app: manifest.app, image, hosts: [...outcomes.values()].sort((a, b) => a.host.localeCompare(b.host)), notes, rolledBack };
  });
}

/** rollback: the previous image again, with the last deploy's manifest (replicas, env, placement). */
export async function rollback(target: RunTarget, app: string, onStep?: StepReporter): Promise<DeployReport> {
  const record = readRecord(target.stateDir, app);
  if (!record) throw new VzError('not-found', `app "${app}" was never deployed from this master: nothing to roll back`);
  if (!record.previousImage) throw new VzError('not-found', `app "${app}" has no previous image to roll back to (one deploy so far)`);
  return deploy(target, manifestSchema.parse(record.manifest), onStep, record.previousImage);
}
