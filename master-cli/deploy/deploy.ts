import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { VzError } from '../../base/errors.ts';
import type { Health } from '../../base/host-contract.ts';
import { withLock } from '../../base/lock.ts';
import type { RunTarget } from '../ansible/run.ts';
import type { HostStatus as Verdict } from '../ansible/result.ts';
import { hostModes } from '../app/host-mode.ts';
import { readImageConfig, withEnv, withRlimitTexts } from '../app/image-config.ts';
import { imageDigest, restartOf, type StepReporter } from '../app/ops.ts';
import { collectStatus, type HostStatus } from '../app/status.ts';
import { pack } from '../../image/pack.ts';
import { loadInventory } from '../inventory/load.ts';
import { hostRuntimes } from '../inventory/runtime.ts';
import { buildForDeploy, type DeployBuild } from './build.ts';
import { askedOf, initMatters, probeInits, refuseWhatInitsCannotHonour } from './init-check.ts';
import { type Manifest, manifestSchema } from './manifest.ts';
import { place } from './placement.ts';
import { readRecord, writeRecord } from './record.ts';
import { rollOut, type Wanted } from './roll.ts';

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
  /** An unhealthy batch was put back on the previous image. */
  rolledBack: boolean;
  /** An unhealthy batch ended the roll (rolled back, or nothing to roll back to). */
  failed: boolean;
  /** The manifest's `build:`: what was built (or found unchanged) and deployed. */
  build?: DeployBuild;
  /** Where replicas went: hosts given one, surplus stopped, unreachable hosts whose replica moved, replicas without a host. */
  placement: { added: string[]; removed: string[]; lost: string[]; unplaced: number };
}

/** The image a manifest names: as given, its recipe built (build.ts), or its bundle packed into the master's image cache. */
async function imageOf(manifest: Manifest, stateDir: string, onBuild?: (line: string) => void): Promise<{ image: string; build?: DeployBuild }> {
  if (manifest.image) return { image: manifest.image };
  if (manifest.build) {
    const build = await buildForDeploy(manifest.build, stateDir, onBuild);
    return { image: build.image, build };
  }
  const cache = join(stateDir, 'images');
  mkdirSync(cache, { recursive: true });
  return { image: (await pack(manifest.bundle!, cache, { app: manifest.app })).path };
}

function vendorOf(groups: string[], prefix: string): string {
  return groups.find((g) => g.startsWith(prefix)) ?? groups[0] ?? 'default';
}

/** What a host must run for this manifest and image: the version, its config, restart, schedule, health. */
async function wantedOf(manifest: Manifest, image: string): Promise<Wanted> {
  const health: Health = {
    minUptimeMs: Math.round(manifest.rolling.minUptime * 1000),
    timeoutMs: Math.round(manifest.rolling.timeout * 1000),
    ...(manifest.rolling.check ? { check: manifest.rolling.check } : {}),
    ...(manifest.health.tcp !== undefined ? { tcp: manifest.health.tcp } : {}),
    ...(manifest.health.http ? { http: manifest.health.http } : {}),
  };
  return {
    app: manifest.app,
    imageFile: image,
    digest: imageDigest(image),
    config: withRlimitTexts(withEnv(await readImageConfig(image), manifest.env), manifest.rlimits),
    volumes: manifest.volumes,
    restart: restartOf(manifest.restart, manifest.schedule),
    schedule: manifest.schedule,
    health,
  };
}

/**
 * deploy: placement over vendors, then a rolling update in batches (roll.ts), each healthy before the next; a batch
 * that is not rolls back to the previous image on the hosts it touched and ends the deploy. One deploy per app at a
 * time (a lock on the master naming its holder).
 */
export async function deploy(target: RunTarget, manifest: Manifest, onStep?: StepReporter, imageOverride?: string, onBuild?: (line: string) => void): Promise<DeployReport> {
  return withDeployLock(target, manifest.app, () => deployHeld(target, manifest, { onStep, imageOverride, onBuild }));
}

/** The app's deploy lock on the master (one deploy, rollback or watch action per app at a time), naming its holder. */
export function withDeployLock<T>(target: RunTarget, app: string, fn: () => Promise<T>, waitMs?: number): Promise<T> {
  mkdirSync(join(target.stateDir, 'locks'), { recursive: true });
  return withLock(join(target.stateDir, 'locks', app), `the deploy of "${app}"`, fn, waitMs);
}

interface HeldOptions {
  onStep?: StepReporter;
  imageOverride?: string;
  onBuild?: (line: string) => void;
  /** A status round trip already made (the watch's): used instead of a fresh one, so the decision and the act see one view. */
  status?: HostStatus[];
}

/** deploy's body, with the app's deploy lock already held by the caller. */
async function deployHeld(target: RunTarget, manifest: Manifest, options: HeldOptions): Promise<DeployReport> {
  const { onStep, imageOverride, onBuild } = options;
  // The status round trip (read-only) runs while the master reads the inventory and the image: ansible-inventory
  // (~0.5 s of python) and the image's hash overlap the round trip instead of adding to it.
  const statusRun = options.status
    ? Promise.resolve(options.status.map((s) => ({ ...s, apps: s.apps.filter((a) => a.id === manifest.app) })))
    : collectStatus(target, undefined, manifest.app, { runch: true });
  statusRun.catch(() => undefined); // awaited below; a refusal meanwhile must not leave it unhandled
  // Each host's init, only when the manifest asks what some init refuses: the nodes probe, beside the status.
  const asked = askedOf(restartOf(manifest.restart, manifest.schedule), manifest.restart, manifest.schedule);
  const initsRun = initMatters(asked) ? probeInits(target) : Promise.resolve(new Map<string, string>());
  initsRun.catch(() => undefined);
  const { image, build } = imageOverride ? { image: imageOverride, build: undefined } : await imageOf(manifest, target.stateDir, onBuild);
  const wanted = await wantedOf(manifest, image);
  const inventory = loadInventory(target.inventory);
  const modes = hostModes(target.inventory); // a bad vz_mode is refused before anything changes
  const status = await statusRun;
  const reachable = new Set(status.filter((s) => s.reachable).map((s) => s.host));
  const record = readRecord(target.stateDir, manifest.app);
  // What runs where: what reachable hosts say, and for the hosts that do not answer, what the last deploy left.
  const running = [
    ...status.filter((s) => s.apps.some((a) => a.wanted !== 'off')).map((s) => s.host),
    ...(record?.hosts ?? []).filter((h) => !reachable.has(h)),
  ];
  const hosts = inventory.hosts.map((h) => ({ name: h.name, vendor: vendorOf(h.groups, manifest.spread), reachable: reachable.has(h.name) }));
  const plan = place(hosts, running, manifest.replicas);
  const targets = [...plan.keep, ...plan.add];
  // What a target init-mode host's init cannot honour is refused before any host changes, from the policy table
  // the hosts refuse from (systemd runs on-failure and schedules natively; sysvinit, busybox and OpenRC do not).
  refuseWhatInitsCannotHonour(targets, modes, await initsRun, asked);
  const notes: string[] = [];
  for (const host of plan.lost) notes.push(`${host} is unreachable: its replica is rescheduled`);
  if (plan.unplaced > 0) notes.push(`${plan.unplaced} replica(s) found no reachable host`);
  for (const host of plan.remove) notes.push(`${host}: surplus replica stopped`);

  const previousImage = record && record.image !== image ? record.image : record?.previousImage;
  // Read (and hashed) only if a batch must roll back.
  const previous = previousImage ? () => wantedOf(manifest, previousImage) : undefined;
  const outcomes = new Map<string, HostOutcome>();
  for (const host of plan.lost) outcomes.set(host, { host, status: 'unreachable', message: 'replica moved' });
  const rolled = await rollOut(target, { wanted, previous, targets, remove: plan.remove, batch: manifest.rolling.batch, modes, runtimes: hostRuntimes(target.inventory), status, onStep });
  for (const o of rolled.outcomes) outcomes.set(o.host, o);
  notes.push(...rolled.notes);
  const { baseDir: _baseDir, ...stored } = manifest as Manifest & { baseDir?: string };
  if (!rolled.failed)
    await writeRecord(target.stateDir, { app: manifest.app, image, previousImage, hosts: targets, deployedAt: new Date().toISOString(), manifest: stored });
  return {
    app: manifest.app, image, hosts: [...outcomes.values()].sort((a, b) => a.host.localeCompare(b.host)), notes, rolledBack: rolled.rolledBack, failed: rolled.failed,
    placement: { added: plan.add, removed: plan.remove, lost: plan.lost, unplaced: plan.unplaced },
    ...(build ? { build } : {}),
  };
}

/**
 * The watch's action (master-cli/watch/): the app's last deploy again, its recorded image and manifest, placed against
 * the watch's own status round trip. Under the app's deploy lock; `expectDeployedAt` is the record the watch decided
 * on: if a deploy changed it meanwhile, nothing is done (undefined), so the watch never undoes a newer deploy.
 */
export async function reconcile(target: RunTarget, app: string, expectDeployedAt: string, status: HostStatus[]): Promise<DeployReport | undefined> {
  return withDeployLock(target, app, async () => {
    const record = readRecord(target.stateDir, app);
    if (!record || record.deployedAt !== expectDeployedAt) return undefined;
    return deployHeld(target, manifestSchema.parse(record.manifest), { imageOverride: record.image, status });
  }, 0);
}

/** rollback: the previous image again, with the last deploy's manifest (replicas, env, placement). */
export async function rollback(target: RunTarget, app: string, onStep?: StepReporter): Promise<DeployReport> {
  const record = readRecord(target.stateDir, app);
  if (!record) throw new VzError('not-found', `app "${app}" was never deployed from this master: nothing to roll back`);
  if (!record.previousImage) throw new VzError('not-found', `app "${app}" has no previous image to roll back to (one deploy so far)`);
  return deploy(target, manifestSchema.parse(record.manifest), onStep, record.previousImage);
}
