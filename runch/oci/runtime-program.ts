import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VzError } from '../../base/errors.ts';
import type { Runtime } from '../../base/host-contract.ts';

/**
 * How vz calls an OCI runtime (runc, crun): its program and its own state root. The root lives under runch's state
 * root (a tmpfs: a reboot leaves no stale container), in a dot directory no container id can name.
 */
export type OciRuntime = Exclude<Runtime, 'runch'>;

const DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];

/** The runtime's program, by absolute path (init's line and the supervisor never search the container's PATH). */
export function runtimeBinary(runtime: OciRuntime): string {
  for (const dir of DIRS) {
    try {
      accessSync(join(dir, runtime), constants.X_OK);
      return join(dir, runtime);
    } catch {
      // the next directory
    }
  }
  throw new VzError('not-found', `vz_runtime ${runtime}: ${runtime} is not installed on this host: apt-get install ${runtime}, or set vz_runtime: runch`);
}

/**
 * runc and crun make a cgroup for every container and cannot run where no cgroup file system is mounted (runc 1.1:
 * "no cgroup mount found in mountinfo"): an OpenRC host whose `cgroups` service never ran, a container without
 * /sys/fs/cgroup. Refused at apply, before anything changes, instead of a crash loop that init respawns forever.
 */
export function requireCgroups(runtime: OciRuntime, mountinfo = '/proc/self/mountinfo'): void {
  if (readFileSync(mountinfo, 'utf8').split('\n').some((line) => /^cgroup2? /.test(line.split(' - ')[1] ?? ''))) return;
  throw new VzError('bad-state', `vz_runtime ${runtime}: no cgroup file system is mounted on this host, and ${runtime} makes a cgroup for each container: mount them (OpenRC: rc-update add cgroups sysinit; rc-service cgroups start), or set vz_runtime: runch`);
}

/** `--root` of the runtime: its containers' state, beside runch's. */
export function runtimeRoot(stateRoot: string, runtime: OciRuntime): string {
  return join(stateRoot, `.${runtime}`);
}

/** The argv of one runtime verb, global flags first (runc and crun take the same words for these). */
export function runtimeArgv(runtime: OciRuntime, stateRoot: string, verb: string[]): string[] {
  return [runtimeBinary(runtime), '--root', runtimeRoot(stateRoot, runtime), ...verb];
}

/** The foreground run: the runtime stays the container's parent, forwards signals and exits with its status. */
export const runVerb = (id: string, bundle: string) => ['run', '--bundle', bundle, id];
/** delete --force: kills what is left of the container, removes its state and its cgroup; absent is fine. */
export const deleteVerb = (id: string) => ['delete', '--force', id];

/**
 * The poststop hook of runch's record of a runtime's container: whoever deletes that record (a stop, a remove, the
 * next start) also deletes the runtime's container: its processes (a runtime killed with SIGKILL leaves them), its
 * state and its cgroup. Quiet when the runtime already cleaned up after a normal exit.
 */
export function cleanupHook(runtime: OciRuntime, stateRoot: string, id: string): { path: string; args: string[] } {
  const [bin, ...rest] = runtimeArgv(runtime, stateRoot, deleteVerb(id));
  return { path: '/bin/sh', args: ['sh', '-c', '"$0" "$@" >/dev/null 2>&1; exit 0', bin, ...rest] };
}
