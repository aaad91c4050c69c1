import { closeSync, constants, openSync, readSync, rmSync } from 'node:fs';
import { VzError } from '../../base/errors.ts';
import { withLock } from '../../base/lock.ts';
import { isAlive } from '../../base/proc.ts';
import type { ContainerState, StateStore } from '../state/store.ts';
import { runHooks, runHooksWarning } from './hooks.ts';
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
    await runHooks('startContainer', hooks, state);
    release(store.fifo(id), state);
    rmSync(store.fifo(id), { force: true });
    const running: ContainerState = { ...state, status: 'running' };
    await store.save(running);
    await runHooksWarning('poststart', hooks, running);
    return running;
  }
}

