import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { execa } from 'execa';
import { VzError } from '../base/errors.ts';
import { processStartTime } from '../base/proc.ts';
import { runtimeOf } from '../runch/oci/runtime-config.ts';
import { cleanupHook, type OciRuntime, runtimeArgv, runVerb } from '../runch/oci/runtime-program.ts';
import { OCI_VERSION, type StateStore } from '../runch/state/store.ts';

/**
 * Supervisor mode under runc or crun: the supervised child is the runtime's foreground `run` (create and start in
 * one), which stays the container's parent, forwards the stop signal and exits with the container's status. Why not
 * `create` then `start`: after `create` the container is the child of no one vz can wait for, so its exit status
 * would be lost and every exit would look like a crash of unknown cause. runch's state records the runtime's pid,
 * as init mode's launcher does (inittab-gen/launcher-oci.ts): status, stop and adoption by a new supervisor work as
 * for runch, and the record's poststop hook deletes the runtime's container (state, cgroup, any process left).
 */

/** The runtime a bundle's config.json was written for (runch when it cannot be read: runch's start then says why). */
export function bundleRuntime(bundle: string): ReturnType<typeof runtimeOf> {
  try {
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { annotations?: Record<string, string> };
    return runtimeOf(config.annotations);
  } catch {
    return 'runch';
  }
}

/** The container's rootfs as config.json names it (relative to the bundle, as the spec allows), and its annotations. */
function readConfig(bundle: string): { rootfs: string; annotations: Record<string, string> } {
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { root?: { path?: string }; annotations?: Record<string, string> };
  const path = config.root?.path ?? 'rootfs';
  return { rootfs: isAbsolute(path) ? path : join(bundle, path), annotations: config.annotations ?? {} };
}

/** Start a bundle under its runtime, the log as stdout and stderr; the caller deleted any previous record first. */
export async function launchOci(store: StateStore, id: string, bundle: string, runtime: OciRuntime, logFd: number | 'ignore'): Promise<{ child: ChildProcess; pid: number; startTime: number }> {
  const { rootfs, annotations } = readConfig(bundle);
  const [cleanBin, ...cleanArgs] = runtimeArgv(runtime, store.root, ['delete', '--force', id]);
  // A container a killed runtime left behind (no runch record any more): its name would be taken.
  await execa(cleanBin, cleanArgs, { reject: false, stdio: 'ignore' });
  const [bin, ...args] = runtimeArgv(runtime, store.root, runVerb(id, bundle));
  // node's spawn, not execa: the supervisor holds this ChildProcess for the container's life (its exit event).
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', logFd, logFd] });
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
  const pid = child.pid;
  const startTime = pid === undefined ? undefined : processStartTime(pid);
  if (spawned || pid === undefined || startTime === undefined) throw new VzError('system', `${runtime} did not start: ${spawned?.message ?? 'it exited at once'}`);
  store.ensureRoot();
  await store.save({
    ociVersion: OCI_VERSION,
    id,
    status: 'running',
    pid,
    startTime,
    bundle,
    rootfs,
    annotations,
    created: new Date().toISOString(),
    mountNamespace: true,
    hooks: { poststop: [cleanupHook(runtime, store.root, id)] },
  });
  return { child, pid, startTime };
}
