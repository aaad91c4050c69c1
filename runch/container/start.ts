import { chownSync, closeSync, constants, existsSync, mkdirSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { writeAtomic } from '../../base/atomic.ts';
import { VzError } from '../../base/errors.ts';
import { withLock } from '../../base/lock.ts';
import { isAlive } from '../../base/proc.ts';
import type { ContainerState, StateStore } from '../state/store.ts';
import { loadProcess } from '../oci/load.ts';
import { runHooks, runHooksWarning } from './hooks.ts';
import { commandFileFor, renderCommandFile } from './launch.ts';
import { resolveInRoot } from './paths.ts';
import { canStart, refuse } from './status.ts';

const pause = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => Atomics.wait(pause, 0, 0, ms);

/**
 * Open the exec fifo without blocking and read the init's "0": it then execs the program.
 * Non-blocking, so a container that died while created is reported instead of hanging `start`.
 */
function release(fifo: string, state: ContainerState, timeoutMs = 10_000): void {
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const byte = Buffer.alloc(1);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let read = 0;
      try {
        read = readSync(fd, byte);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      }
      if (read === 1) return;
      if (!isAlive(state.pid, state.startTime))
        throw new VzError('bad-state', `container "${state.id}" died before it was started: delete it and create it again`);
      if (Date.now() > deadline) throw new VzError('system', `container "${state.id}" did not answer start within ${timeoutMs / 1000} s`);
      sleep(1);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * What create does for a process it knows (stdio-owner.ts, as runc's fixStdioPermissions), done here for one that
 * arrives at start: the waiting process's stdout and stderr, when a regular file or a pipe, go to the program's uid,
 * so a program that is not root can reopen /dev/stdout. Through /proc/PID/fd: those are its files, not runch's.
 */
function giveWaitingStdio(pid: number, uid: number, gid: number): void {
  for (const fd of [1, 2]) {
    const path = `/proc/${pid}/fd/${fd}`;
    try {
      const info = statSync(path);
      if ((info.isFile() || info.isFIFO()) && (info.uid !== uid || info.gid !== gid)) chownSync(path, uid, gid);
    } catch {
      // closed, or the process is gone: release reports that
    }
  }
}

/**
 * A container created without a process (its first process waits for a command file): the bundle's config.json must
 * have one now. Read, checked and written before anything else, so a refusal leaves the container created, as it was:
 * fix config.json and start again. The runtime spec: "if process is not set, an error MUST be generated".
 */
async function giveProcess(state: ContainerState, cmdfile: string): Promise<void> {
  const proc = loadProcess(state.bundle, state.rootfs);
  if (!proc)
    throw new VzError(
      'invalid-config',
      `container "${state.id}" has no program to run: config.json of ${state.bundle} has no "process"; add it (at least args, cwd and user), then run "runch start ${state.id}" again`,
    );
  mkdirSync(resolveInRoot(state.rootfs, proc.cwd, 'process.cwd'), { recursive: true, mode: 0o755 });
  if (proc.uid !== 0) giveWaitingStdio(state.pid, proc.uid, proc.gid);
  await writeAtomic(cmdfile, renderCommandFile({ ...proc, rootfs: state.rootfs }), 0o600); // env may hold secrets
}

/** runtime-spec `start`: run the user's program in a created container. */
export async function startContainer(store: StateStore, id: string): Promise<ContainerState> {
  return withLock(store.lockPath(id), `container "${id}"`, () => startLocked(store, store.load(id)));
}

/** start, for a caller that already holds the id's lock. */
export async function startLocked(store: StateStore, state: ContainerState): Promise<ContainerState> {
  const id = state.id;
  {
    if (!canStart(state.status)) refuse('start', id, state.status);
    const hooks = state.hooks;
    const cmdfile = commandFileFor(store.fifo(id));
    if (existsSync(cmdfile)) await giveProcess(state, cmdfile);
    await runHooks('startContainer', hooks, state);
    release(store.fifo(id), state);
    rmSync(store.fifo(id), { force: true });
    const running: ContainerState = { ...state, status: 'running' };
    await store.save(running);
    await runHooksWarning('poststart', hooks, running);
    return running;
  }
}

