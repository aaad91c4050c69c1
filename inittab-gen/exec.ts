import { appendFileSync, closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { INIT_MODE_ANNOTATION } from './mode.ts';
import type { PolicyConfig } from '../supervisor/policy/index.ts';
import { decideSpawn, readTally, writeTally } from './tally.ts';
import { writeAtomic } from '../base/atomic.ts';
import { VzError } from '../base/errors.ts';
import { withLock } from '../base/lock.ts';
import { processStartTime } from '../base/proc.ts';
import { loadBundle } from '../runch/oci/load.ts';
import { OCI_VERSION, type StateStore, type StoredState } from '../runch/state/store.ts';
import { hostBinary } from '../runch/container/hostbin.ts';
import { initCommand } from '../runch/container/launch.ts';
import { prepareMountPoints, renderFstab, unmountUnder } from '../runch/container/mounts.ts';
import { mountNamespaceUsable } from '../runch/container/mountns.ts';
import { checkId, resolveInRoot } from '../runch/container/paths.ts';
import { giveStdioTo } from '../runch/container/stdio-owner.ts';
import { containerProcs, endLeftovers } from '../runch/container/terminate.ts';

export interface ExecOptions {
  bundle: string;
  logPath: string;
  policy: PolicyConfig;
}

/** stdout and stderr to the log (appended), stdin from /dev/null, then the chain: one exec more, nothing resident. */
const LOG_SCRIPT = 'exec >>"$1" 2>&1 </dev/null; shift; exec "$@"';

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

/** The state a container exec'd in this very process will have: our pid, our start time (execve keeps both). */
async function prepare(store: StateStore, id: string, options: ExecOptions) {
  return withLock(store.lockPath(id), `container "${id}"`, async () => {
    if (store.exists(id)) {
      const previous = store.load(id);
      if (previous.status !== 'stopped' && previous.pid !== process.pid)
        throw new VzError('exists', `container "${id}" is already running as pid ${previous.pid} (not started by init?): stop it with "runch kill ${id}" first`);
      if (!previous.mountNamespace) await unmountUnder(previous.rootfs);
      if (previous.status === 'stopped') await endLeftovers(previous); // one forked while the backoff ran
    }
    const spec = loadBundle(options.bundle);
    const mountNamespace = await mountNamespaceUsable(store.root);
    const stored: StoredState = {
      ociVersion: OCI_VERSION,
      id,
      status: 'created',
      pid: process.pid,
      startTime: processStartTime(process.pid) ?? 0,
      bundle: spec.bundle,
      rootfs: spec.rootfs,
      annotations: { ...spec.annotations, [INIT_MODE_ANNOTATION]: 'init' },
      created: new Date().toISOString(),
      mountNamespace,
      hooks: spec.hooks,
    };
    await store.save(stored);
    await writeAtomic(store.fstab(id), renderFstab(spec.rootfs, spec.readonly, spec.mounts));
    // Host mounts left by a predecessor of this id that died without a delete (init mode: nobody stays to clean up)
    // would sit under the new ones; the id's lock is held, so nothing alive owns them.
    if (!mountNamespace) await unmountUnder(spec.rootfs);
    prepareMountPoints(spec.mounts);
    mkdirSync(resolveInRoot(spec.rootfs, spec.cwd, 'process.cwd'), { recursive: true, mode: 0o755 });
    if (spec.ignored.length > 0) note(options.logPath, `${id}: ignored from config.json: ${spec.ignored.join(', ')}`);
    if (Object.values(spec.hooks ?? {}).some((list) => Array.isArray(list) && list.length > 0))
      note(options.logPath, `${id}: hooks are not run in init mode (nothing of runch stays to run them)`);
    giveLog(options.logPath, spec.uid, spec.gid);
    return initCommand(spec, { fstab: store.fstab(id), fifo: '', mountNamespace });
  });
}

/**
 * Init mode: init spawned this runch; it waits out the backoff the container's recent deaths call for (so init's
 * own "respawning too fast" never fires), prepares the container and replaces itself with it. Returns only on error.
 */
export async function execContainer(store: StateStore, id: string, options: ExecOptions): Promise<never> {
  checkId(id);
  store.ensureRoot();
  mkdirSync(dirname(options.logPath), { recursive: true });
  try {
    await endPrevious(store, id, options.logPath);
  } catch (error) {
    note(options.logPath, `${id}: ${(error as Error).message}`);
    throw error;
  }
  const { delayMs, tally } = decideSpawn(readTally(store, id), Date.now(), options.policy);
  // A stop finds this runch, while it waits and prepares, by the pid and start time it leaves here (no state yet).
  await writeTally(store, id, { ...tally, waiter: { pid: process.pid, startTime: processStartTime(process.pid) ?? 0 } });
  if (delayMs > 0) {
    note(options.logPath, `${id}: ${tally.state}: ${tally.policy.streak} quick exit(s) in a row, next start in ${(delayMs / 1000).toFixed(1)} s`);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
  let command;
  try {
    command = await prepare(store, id, options);
  } catch (error) {
    note(options.logPath, `${id}: ${(error as Error).message}`);
    throw error;
  }
  await writeTally(store, id, { ...tally, state: 'running', nextTry: undefined, waiter: undefined, lastExec: Date.now() });
  const sh = hostBinary('sh', 'a POSIX shell');
  if (!process.execve) throw new VzError('system', `init mode needs process.execve: use Node >= 22.15 (this is ${process.version})`);
  process.execve(sh, ['runch-log', '-c', LOG_SCRIPT, 'runch-log', options.logPath, command.file, ...command.args], command.env);
  throw new VzError('system', `cannot exec the container ${id}`);
}
