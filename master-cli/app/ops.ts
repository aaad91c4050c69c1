import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { VzError } from '../../base/errors.ts';
import { parseRestartPolicy } from '../../base/restart-policy.ts';
import type { ApplyAnswer, Health, Restart, Runtime } from '../../base/host-contract.ts';
import type { AdhocCall } from '../ansible/argv.ts';
import type { RunTarget } from '../ansible/run.ts';
import type { HostResult } from '../ansible/result.ts';
import { hostRuntimes } from '../inventory/runtime.ts';
import type { HostMode } from './host-mode.ts';
import { type PushOutcome, pushDifferential } from './delta-push.ts';
import { hostCall, hostReply, settleFromAnswer } from './host-command.ts';
import { HOST_RUNCH } from './host-paths.ts';
import { runchArtifact } from './runch-artifact.ts';
import { HostSteps } from './steps.ts';
import { readCheckedImage } from '../../image/delta/make.ts';

export type StepReporter = (label: string, results: HostResult[]) => void;

/**
 * An image file named by its sha256 (vzimage pack): the name is checked against the content before it leaves. The
 * one read of the image a start makes on the master (ansible's copy does its own).
 */
export function imageDigest(imageFile: string): string {
  return readCheckedImage(imageFile).hex;
}

/**
 * A copy into a host directory: dest ends with "/", so ansible's copy creates the directory when missing and keeps
 * the file's name; it compares checksums first, so a host that has the file gets no bytes and reports ok.
 */
function copyInto(src: string, dir: string, mode: string): AdhocCall {
  return { module: 'copy', args: { src, dest: `${dir}/`, mode } };
}

/** The call that installs or upgrades runch on a host (atomically, by ansible's copy). */
function runchCopy(): AdhocCall {
  const src = runchArtifact();
  // A bundle under another name (VZ_RUNCH_BUNDLE) goes to the exact path, into the directory newnode or a start made.
  return basename(src) === basename(HOST_RUNCH) ? copyInto(src, dirname(HOST_RUNCH), '0755') : { module: 'copy', args: { src, dest: HOST_RUNCH, mode: '0755' } };
}

/** Make sure the hosts (all of the run, or `only`) run this vzmaster's runch. */
export async function ensureRunch(steps: HostSteps, only?: string[]): Promise<void> {
  await steps.run('runch', runchCopy(), only);
}

/** sha1 of the runch this vzmaster installs (what a host's status reports of its own), to skip copies that send nothing. */
export function runchSha1(): string {
  return createHash('sha1').update(readFileSync(runchArtifact())).digest('hex');
}

/**
 * newnode's runch install (bootstrap/ runs these): runch, then the host config written by runch itself; `creates`
 * makes a rerun on a ready host an ok (a later start updates the config anyway).
 */
export function runchInstallCalls(): AdhocCall[] {
  const config = hostCall('config', {});
  return [runchCopy(), { ...config, args: { ...config.args, creates: '/var/lib/vz/host.json' } }];
}

/**
 * Push an image: a host that got an earlier version of the app gets a delta against it, any other the full image
 * (delta-push.ts); hosts that hold it (checksum compared by ansible) get nothing.
 */
export async function pushImage(steps: HostSteps, imageFile: string, only?: string[]): Promise<PushOutcome> {
  return pushDifferential(steps, imageFile, only);
}

export interface StartOptions {
  app: string;
  imageFile: string;
  /** The image's sha256 (imageDigest: read once per run). */
  digest: string;
  /** The image's config.json with the deploy's env applied; sent as data, replacing the image's. */
  config: Record<string, unknown>;
  restart: Restart;
  schedule?: string;
  health?: Health;
  /** Volume name -> path in the container (the host keeps each outside every version). */
  volumes?: Record<string, string>;
  /** Each host's mode (host-mode.ts). */
  modes: Map<string, HostMode>;
  /** Each host's runtime (inventory/runtime.ts); read from the run's inventory when not given. */
  runtimes?: Map<string, Runtime>;
}

/**
 * What names a version on a host: the image, and the config sent with it ("<image digest 16>-<config digest 8>").
 * Why the config too: init's line and the table name only the bundle directory, so an env-only change written into
 * the running version's directory would never restart the app; a new directory restarts it like any new version.
 */
export function versionName(imageDigestHex: string, config: Record<string, unknown>, runtime: Runtime = 'runch'): string {
  // The runtime is part of what the host writes (its config.json): another runtime is another version, restarted.
  const named = runtime === 'runch' ? JSON.stringify(config) : `${runtime}\0${JSON.stringify(config)}`;
  return `${imageDigestHex.slice(0, 16)}-${createHash('sha256').update(named).digest('hex').slice(0, 8)}`;
}

/** Hosts grouped by mode and runtime, each group in the order given: one apply call per group (usually one). */
function byModeAndRuntime(hosts: string[], modes: Map<string, HostMode>, runtimes: Map<string, Runtime>): { mode: HostMode; runtime: Runtime; hosts: string[] }[] {
  const groups = new Map<string, { mode: HostMode; runtime: Runtime; hosts: string[] }>();
  for (const host of hosts) {
    const mode = modes.get(host) ?? 'init';
    const runtime = runtimes.get(host) ?? 'runch';
    const key = `${mode}/${runtime}`;
    const group = groups.get(key) ?? { mode, runtime, hosts: [] };
    group.hosts.push(host);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * The restart grammar's text as the contract's data (the manifest and the start flags already checked the words).
 * With a schedule, restart is about a failed run (on-failure[:N] retries it): "always", the default, would start
 * the job again the moment it ends, so a scheduled app's "always" means "no".
 */
export function restartOf(text: string, schedule?: string, label = 'restart'): Restart {
  const parsed = parseRestartPolicy(text, label);
  if (schedule !== undefined && (parsed.policy === 'always' || parsed.policy === 'unless-stopped')) return { policy: 'no' };
  return parsed;
}

/**
 * Run the app on the run's hosts: ONE `runch host apply` per host mode and runtime (usually one in all), which unpacks,
 * writes the config, registers the entry, applies, prunes and, when asked, waits for health. Returns each host's
 * answer; an unhealthy one leaves the run as failed.
 */
export async function startApp(steps: HostSteps, options: StartOptions, only?: string[]): Promise<Map<string, ApplyAnswer>> {
  const answers = new Map<string, ApplyAnswer>();
  const request = {
    app: options.app,
    image: basename(options.imageFile),
    config: options.config,
    restart: options.restart,
    ...(options.schedule !== undefined ? { schedule: options.schedule } : {}),
    ...(options.health ? { health: options.health } : {}),
    ...(options.volumes && Object.keys(options.volumes).length > 0 ? { volumes: options.volumes } : {}),
  };
  const taskTimeout = 300 + Math.ceil((options.health?.timeoutMs ?? 0) / 1000);
  const runtimes = options.runtimes ?? hostRuntimes(steps.inventory);
  for (const { mode, runtime, hosts } of byModeAndRuntime(only ?? steps.hosts ?? [], options.modes, runtimes)) {
    const version = versionName(options.digest, options.config, runtime);
    const call = hostCall('apply', { ...request, version, mode, ...(runtime === 'runch' ? {} : { runtime }) }, { taskTimeout, withSelf: true });
    const results = await steps.run('apply', call, hosts, (r) => settleFromAnswer('apply', r));
    for (const r of results) {
      const reply = hostReply('apply', r);
      if (reply.kind !== 'answer') continue;
      answers.set(r.host, reply.answer);
      if (reply.answer.healthy === false) steps.fail(r.host, `unhealthy: ${reply.answer.why ?? reply.answer.state}`);
    }
  }
  return answers;
}

/** Stop an app for good: its entry goes off and init (or the host's supervisor) stops the process; `start` puts it back. */
export async function stopApp(steps: HostSteps, app: string, only?: string[]): Promise<void> {
  await steps.run('stop', hostCall('stop', { app }, { ifInstalled: true }), only, (r) => settleFromAnswer('stop', r));
}

export async function removeApp(steps: HostSteps, app: string, only?: string[]): Promise<void> {
  await steps.run('remove', hostCall('remove', { app }, { ifInstalled: true }), only, (r) => settleFromAnswer('remove', r));
}

export function newSteps(target: RunTarget, limit: string | undefined, onStep?: StepReporter, hosts?: string[]): HostSteps {
  return new HostSteps(target, limit, onStep, hosts);
}
