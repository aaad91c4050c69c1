import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { writeAtomic } from '../../base/atomic.ts';
import { VzError, withContext } from '../../base/errors.ts';
import { withLock } from '../../base/lock.ts';
import { processStartTime } from '../../base/proc.ts';
import { type ContainerSpec, loadBundle } from '../oci/load.ts';
import { type ContainerState, OCI_VERSION, type StateStore, type StoredState } from '../state/store.ts';
import { runHooks } from './hooks.ts';
import { initCommand } from './launch.ts';
import { prepareMountPoints, renderFstab, unmountUnder } from './mounts.ts';
import { mountNamespaceUsable } from './mountns.ts';
import { checkId, resolveInRoot } from './paths.ts';
import { mkdirSync, readlinkSync } from 'node:fs';
import { giveStdioTo } from './stdio-owner.ts';

/** A stdio slot of the container: runch's own, none, or an open file descriptor (a log file). */
export type Stdio = 'inherit' | 'ignore' | 'pipe' | number;

export interface CreateOptions {
  bundle: string;
  pidFile?: string;
  /** The container's stdin, stdout, stderr (default: runch's own, as runc does). */
  stdio?: [Stdio, Stdio, Stdio];
  /** A container of its own session (process group); false keeps it in the caller's (foreground run). */
  detached?: boolean;
  /** Called with the spec's ignored fields, once per create. */
  onIgnored?: (fields: string[]) => void;
}

export interface Created {
  state: ContainerState;
  child: ChildProcess;
  spec: ContainerSpec;
}

/** Wait for the init's report on fd 3: "mounted", or mount(8)'s error, or its early death. */
function waitMounted(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let report = '';
    const sync = child.stdio[3] as NodeJS.ReadableStream;
    sync.setEncoding('utf8');
    sync.on('data', (chunk: string) => (report += chunk));
    sync.on('end', () => {
      if (report.endsWith('mounted\n')) resolve();
      else {
        const detail = report.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('dmesg(1)'));
        reject(new VzError('system', `mounting failed: ${detail.join('; ') || 'the container process exited early'}`));
      }
    });
    child.once('error', (error) => reject(withContext('cannot start the container process', error)));
  });
}

function ownNamespace(pid: number): string | undefined {
  try {
    const ns = readlinkSync(`/proc/${pid}/ns/mnt`);
    return ns === readlinkSync('/proc/self/ns/mnt') ? undefined : ns;
  } catch {
    return undefined;
  }
}

/** runtime-spec `create`: the container's process exists, mounted and chrooted-to-be, waiting for `start`. */
export async function createContainer(store: StateStore, id: string, options: CreateOptions): Promise<Created> {
  checkId(id);
  const spec = loadBundle(options.bundle, { processOptional: true }); // the runtime spec: only start needs process
  store.ensureRoot();
  return withLock(store.lockPath(id), `container "${id}"`, () => createLocked(store, id, spec, options));
}

/** create, for a caller that already holds the id's lock (run holds it across create and start). */
export async function createLocked(store: StateStore, id: string, spec: ContainerSpec, options: CreateOptions): Promise<Created> {
  {
    if (store.exists(id)) throw new VzError('exists', `container "${id}" already exists: delete it first or choose another id`);
    options.onIgnored?.(spec.ignored);
    const mountNamespace = await mountNamespaceUsable(store.root);
    const stored: StoredState = {
      ociVersion: OCI_VERSION,
      id,
      status: 'creating',
      pid: 0,
      startTime: 0,
      bundle: spec.bundle,
      rootfs: spec.rootfs,
      annotations: spec.annotations,
      created: new Date().toISOString(),
      mountNamespace,
      hooks: spec.hooks,
    };
    let child: ChildProcess | undefined;
    try {
      await store.save(stored);
      await writeAtomic(store.fstab(id), renderFstab(spec.rootfs, spec.readonly, spec.mounts));
      // Host mounts left by a predecessor of this id that died without a delete (init mode: nobody stays to clean up)
    // would sit under the new ones; the id's lock is held, so nothing alive owns them.
    if (!mountNamespace) await unmountUnder(spec.rootfs);
    prepareMountPoints(spec.mounts);
      mkdirSync(resolveInRoot(spec.rootfs, spec.cwd, 'process.cwd'), { recursive: true, mode: 0o755 });
      const command = initCommand(spec, { fstab: store.fstab(id), fifo: store.fifo(id), mountNamespace });
      const stdio = options.stdio ?? ['inherit', 'inherit', 'inherit'];
      giveStdioTo(stdio.slice(1).flatMap((slot, i) => (slot === 'inherit' ? [i + 1] : typeof slot === 'number' ? [slot] : [])), spec.uid, spec.gid);
      const launched = spawn(command.file, command.args, {
        env: command.env,
        stdio: [...stdio, 'pipe'],
        detached: options.detached ?? true,
        argv0: `runch-init:${id}`,
      });
      child = launched;
      await waitMounted(launched);
      stored.pid = launched.pid!;
      stored.startTime = processStartTime(launched.pid!) ?? 0;
      // Its own mount namespace, as the kernel names it: the container's processes are found by it (members.ts).
      if (mountNamespace) stored.mountNs = ownNamespace(launched.pid!);
      stored.status = 'created';
      await store.save(stored);
      const state: ContainerState = { ...stored, status: 'created' };
      await runHooks('createRuntime', spec.hooks, state);
      await runHooks('createContainer', spec.hooks, state);
      await runHooks('prestart', spec.hooks, state);
      if (options.pidFile) await writeAtomic(options.pidFile, String(launched.pid)); // the bare pid, as runc writes it
      return { state, child: launched, spec };
    } catch (error) {
      if (child?.pid && child.exitCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (!mountNamespace) await unmountUnder(spec.rootfs);
      store.remove(id);
      throw withContext(`create ${id}`, error);
    }
  }
}
