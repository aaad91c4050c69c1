import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { writeAtomic } from '../../base/atomic.ts';
import { VzError, withContext } from '../../base/errors.ts';
import { withLock } from '../../base/lock.ts';
import { processStartTime } from '../../base/proc.ts';
import { type ContainerState, OCI_VERSION, type StateStore, type StoredState } from '../state/store.ts';
import { argvFor, type CompiledForm, formFor } from './form.ts';
import { runHooks } from './hooks.ts';
import { unmountUnder } from './mounts.ts';
import { checkId } from './paths.ts';
import { closeSync, mkdirSync, openSync, readlinkSync } from 'node:fs';
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
  form: CompiledForm;
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
  // The runtime spec: only start needs a process. Validated once per config digest (form.ts).
  const { form } = await formFor(store, options.bundle, { processOptional: true });
  return withLock(store.lockPath(id), `container "${id}"`, () => createLocked(store, id, form, options));
}

/** create, for a caller that already holds the id's lock. */
export async function createLocked(store: StateStore, id: string, form: CompiledForm, options: CreateOptions): Promise<Created> {
  const { state, child } = await spawnForm(store, id, form, options, 'waiting');
  try {
    await runHooks('createRuntime', form.hooks, state);
    await runHooks('createContainer', form.hooks, state);
    await runHooks('prestart', form.hooks, state);
    if (options.pidFile) await writeAtomic(options.pidFile, String(state.pid)); // the bare pid, as runc writes it
  } catch (error) {
    await undo(store, id, form, child);
    throw withContext(`create ${id}`, error);
  }
  return { state, child, form };
}

/**
 * A start without `runch start`: the first process execs the chain as soon as it has mounted (hooks need create +
 * start and their turns in between: a form with hooks is never started this way). Holding the id's lock.
 */
export async function execLocked(store: StateStore, id: string, form: CompiledForm, options: CreateOptions): Promise<Created> {
  const { state, child } = await spawnForm(store, id, form, options, 'reporting');
  const running: ContainerState = { ...state, status: 'running' };
  try {
    await store.save(running);
    if (options.pidFile) await writeAtomic(options.pidFile, String(state.pid));
  } catch (error) {
    await undo(store, id, form, child);
    throw withContext(`run ${id}`, error);
  }
  return { state: running, child, form };
}

async function undo(store: StateStore, id: string, form: CompiledForm, child: ChildProcess | undefined): Promise<void> {
  if (child?.pid && child.exitCode === null) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (!form.mountNamespace) await unmountUnder(form.rootfs);
  store.remove(id);
}

/** The first process of a compiled form, mounted: waiting on its fifo (create) or already exec'ing the chain. */
async function spawnForm(store: StateStore, id: string, form: CompiledForm, options: CreateOptions, variant: 'waiting' | 'reporting'): Promise<{ state: ContainerState; child: ChildProcess }> {
  if (store.exists(id)) throw new VzError('exists', `container "${id}" already exists: delete it first or choose another id`);
  options.onIgnored?.(form.ignored);
  const stored: StoredState = {
    ociVersion: OCI_VERSION,
    id,
    status: 'creating',
    pid: 0,
    startTime: 0,
    bundle: form.bundle,
    rootfs: form.rootfs,
    annotations: form.annotations,
    created: new Date().toISOString(),
    mountNamespace: form.mountNamespace,
    hooks: form.hooks,
  };
  let child: ChildProcess | undefined;
  try {
    await store.save(stored);
    await writeAtomic(store.fstab(id), form.fstab);
    // Host mounts left by a predecessor of this id that died without a delete (init mode: nobody stays to clean up)
    // would sit under the new ones; the id's lock is held, so nothing alive owns them.
    if (!form.mountNamespace) await unmountUnder(form.rootfs);
    for (const dir of form.dirs) mkdirSync(dir, { recursive: true, mode: 0o755 });
    for (const file of form.files) closeSync(openSync(file, 'a'));
    const [file, ...args] = argvFor(store, id, form[variant]);
    const stdio = options.stdio ?? ['inherit', 'inherit', 'inherit'];
    giveStdioTo(stdio.slice(1).flatMap((slot, i) => (slot === 'inherit' ? [i + 1] : typeof slot === 'number' ? [slot] : [])), form.uid, form.gid);
    const launched = spawn(file, args, {
      env: form.env,
      stdio: [...stdio, 'pipe'],
      detached: options.detached ?? true,
      argv0: `runch-init:${id}`,
    });
    child = launched;
    await waitMounted(launched);
    stored.pid = launched.pid!;
    stored.startTime = processStartTime(launched.pid!) ?? 0;
    // Its own mount namespace, as the kernel names it: the container's processes are found by it (members.ts).
    if (form.mountNamespace) stored.mountNs = ownNamespace(launched.pid!);
    stored.status = 'created';
    if (variant === 'waiting') await store.save(stored);
    return { state: { ...stored, status: 'created' }, child: launched };
  } catch (error) {
    await undo(store, id, form, child);
    throw withContext(`create ${id}`, error);
  }
}
