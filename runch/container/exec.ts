import { type ChildProcess, spawn } from 'node:child_process';
import { writeAtomic } from '../../base/atomic.ts';
import { VzError, withContext } from '../../base/errors.ts';
import { withLock } from '../../base/lock.ts';
import type { ProcessSpec } from '../oci/load.ts';
import type { ContainerState, StateStore } from '../state/store.ts';
import { hostBinary } from './hostbin.ts';
import { execChain } from './launch.ts';
import { giveStdioTo } from './stdio-owner.ts';

/**
 * Sets the program's umask, then execs the chain: a host shell, run before the chroot, so the container needs none.
 * $1 the umask, then the chain.
 */
const UMASK_THEN_EXEC = 'umask "$1" && shift && exec "$@"';

/**
 * runc `exec`: one more process in a running container, set up as its first one was: inside its mount namespace
 * (nsenter; none when the container has none), chrooted to its rootfs by the same chain (limits, groups, user, cwd),
 * with exactly the process's env. The process is found by delete and kill --all as every other one of the
 * container (same root, same mount namespace), and the caller's stdio is its own.
 */
export async function execInContainer(
  store: StateStore,
  id: string,
  processFor: (state: ContainerState) => ProcessSpec,
  options: { pidFile?: string; detached: boolean },
): Promise<ChildProcess> {
  return withLock(store.lockPath(id), `container "${id}"`, async () => {
    const state = store.load(id);
    if (state.status !== 'running')
      throw new VzError('bad-state', `container "${id}": cannot exec in a container that is ${state.status}: ${state.status === 'created' ? 'start it first' : 'run it again'}`);
    const proc = processFor(state);
    const chain = execChain({ ...proc, rootfs: state.rootfs });
    const enter = state.mountNamespace ? [hostBinary('nsenter'), `--mount=/proc/${state.pid}/ns/mnt`, '--'] : [];
    const argv = [...enter, hostBinary('sh', 'a POSIX shell'), '-c', UMASK_THEN_EXEC, 'runch-exec', proc.umask.toString(8).padStart(4, '0'), ...chain];
    const env: Record<string, string> = {};
    for (const entry of proc.env) env[entry.slice(0, entry.indexOf('='))] = entry.slice(entry.indexOf('=') + 1);
    giveStdioTo([1, 2], proc.uid, proc.gid);
    const child = spawn(argv[0], argv.slice(1), { env, stdio: 'inherit', detached: options.detached, argv0: `runch-exec:${id}` });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => reject(withContext(`exec in ${id}`, error)));
    });
    if (options.pidFile) await writeAtomic(options.pidFile, String(child.pid)); // the bare pid, as runc writes it
    return child;
  });
}
