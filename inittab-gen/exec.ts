import { appendFileSync, closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PolicyConfig } from '../supervisor/policy/index.ts';
import { readTally } from './tally.ts';
import type { StateStore } from '../runch/state/store.ts';
import { prepareMountPoints, unmountUnder } from '../runch/container/mounts.ts';
import { VzError } from '../base/errors.ts';
import { withLock } from '../base/lock.ts';
import { loadBundle } from '../runch/oci/load.ts';
import { runtimeOf } from '../runch/oci/runtime-config.ts';
import { hostBinary } from '../runch/container/hostbin.ts';
import { mountNamespaceUsable } from '../runch/container/mountns.ts';
import { checkId, resolveInRoot } from '../runch/container/paths.ts';
import { giveStdioTo } from '../runch/container/stdio-owner.ts';
import { containerProcs, endLeftovers } from '../runch/container/terminate.ts';

export interface ExecOptions {
  bundle: string;
  logPath: string;
  policy: PolicyConfig;
}

function note(logPath: string, message: string): void {
  // Tagged as the supervisor tags its own lines in a container's log.
  const line = `[vz ${new Date().toISOString()}] ${message}\n`;
  try {
    appendFileSync(logPath, line);
  } catch {
    process.stderr.write(line);
  }
}

/**
 * The previous run's leftovers (a worker re-parented to init, a job that setsid()ed): ended (TERM, timeout, KILL)
 * before this run starts, so none still holds its port or its files. Under the id's lock; a live previous run is
 * not a leftover (prepare refuses it).
 */
async function endPrevious(store: StateStore, id: string, logPath: string): Promise<void> {
  await withLock(store.lockPath(id), `container "${id}"`, async () => {
    if (!store.exists(id)) return;
    let previous;
    try {
      previous = store.load(id);
    } catch {
      return; // a damaged state: prepare says so
    }
    if (previous.status !== 'stopped') return;
    const left = containerProcs(previous).length;
    if (left === 0) return;
    const ended = await endLeftovers(previous);
    note(logPath, `${id}: ${left} process(es) of the previous run were still there: ${ended === 'killed' ? 'killed after the timeout' : 'ended'}`);
  });
}

/**
 * The container's log, opened as its stdout will be, given to the program's uid: a program that is not root
 * reopens /dev/stdout (/proc/self/fd/1), which checks the file's own permissions.
 */
function giveLog(logPath: string, uid: number, gid: number): void {
  if (uid === 0) return;
  try {
    const fd = openSync(logPath, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
    try {
      giveStdioTo([fd], uid, gid);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    // Not worth a container that does not start: it only cannot reopen its own output.
    note(logPath, `cannot give the log ${logPath} to uid ${uid}: ${(error as Error).message}; the program cannot reopen /dev/stdout`);
  }
}

/**
 * What the launcher cannot do in sh, under the id's lock: refuse a live run it did not start, end the previous
 * run's leftovers, unmount what a predecessor left on the host (no mount namespace), note what init mode ignores.
 */
async function prepare(store: StateStore, id: string, options: ExecOptions): Promise<void> {
  await withLock(store.lockPath(id), `container "${id}"`, async () => {
    const mountNamespace = await mountNamespaceUsable(store.root);
    if (store.exists(id)) {
      const previous = store.load(id);
      const waiter = readTally(store, id)?.waiter;
      const ours = previous.pid === process.pid || (waiter !== undefined && previous.pid === waiter.pid);
      if (previous.status !== 'stopped' && !ours)
        throw new VzError('exists', `container "${id}" is already running as pid ${previous.pid} (not started by init?): stop it with "runch kill ${id}" first`);
      if (!previous.mountNamespace) await unmountUnder(previous.rootfs);
    }
    const spec = loadBundle(options.bundle);
    if (!mountNamespace) await unmountUnder(spec.rootfs);
    prepareMountPoints(spec.mounts);
    mkdirSync(resolveInRoot(spec.rootfs, spec.cwd, 'process.cwd'), { recursive: true, mode: 0o755 });
    // runc and crun honour namespaces, masked paths, cgroups, capabilities and hooks: the notes are runch's only.
    const ownRuntime = runtimeOf(spec.annotations) === 'runch';
    if (ownRuntime && spec.ignored.length > 0) note(options.logPath, `${id}: ignored from config.json: ${spec.ignored.join(', ')}`);
    if (ownRuntime && Object.values(spec.hooks ?? {}).some((list) => Array.isArray(list) && list.length > 0))
      note(options.logPath, `${id}: hooks are not run in init mode (nothing of runch stays to run them)`);
    giveLog(options.logPath, spec.uid, spec.gid);
  });
}

/**
 * `runch init prepare`, run by a launcher that found something changed (the bundle, a leftover, a big log, no
 * mount-namespace answer yet): the Node part of a start, then the launcher is compiled again; the launcher then
 * runs its new self. Nothing is exec'd here, so any Node >= 18 will do.
 */
export async function prepareContainer(store: StateStore, id: string, options: ExecOptions, compile: () => Promise<{ error?: Error }>): Promise<void> {
  checkId(id);
  store.ensureRoot();
  mkdirSync(dirname(options.logPath), { recursive: true });
  try {
    await endPrevious(store, id, options.logPath);
    await prepare(store, id, options);
  } catch (error) {
    note(options.logPath, `${id}: ${(error as Error).message}`);
    await compile(); // a launcher that still hands over to runch, so a fixed bundle starts without a new apply
    throw error;
  }
  const { error } = await compile();
  if (error) {
    note(options.logPath, `${id}: ${error.message}`);
    throw error;
  }
}

/**
 * `runch init exec` (the line of a host applied before launchers): compile the launcher and become it, by execve
 * where Node has it (>= 22.15), else as a child whose exit is ours (Node then stays for the container's life).
 */
export async function execContainer(store: StateStore, id: string, options: ExecOptions, compile: () => Promise<{ path: string; error?: Error }>): Promise<number> {
  checkId(id);
  const { path, error } = await compile();
  if (error) note(options.logPath, `${id}: ${error.message}`);
  const sh = hostBinary('sh', 'a POSIX shell');
  if (process.execve) process.execve(sh, [sh, path], process.env);
  const { spawnSync } = await import('node:child_process');
  const child = spawnSync(sh, [path], { stdio: 'inherit' });
  return child.status ?? 1;
}
