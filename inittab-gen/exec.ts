import { appendFileSync, mkdirSync } from 'node:fs';
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

/** The state a container exec'd in this very process will have: our pid, our start time (execve keeps both). */
async function prepare(store: StateStore, id: string, options: ExecOptions) {
  return withLock(store.lockPath(id), `container "${id}"`, async () => {
    if (store.exists(id)) {
      const previous = store.load(id);
      if (previous.status !== 'stopped' && previous.pid !== process.pid)
        throw new VzError('exists', `container "${id}" is already running as pid ${previous.pid} (not started by init?): stop it with "runch kill ${id}" first`);
      if (!previous.mountNamespace) await unmountUnder(previous.rootfs);
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
