import type { ChildProcess } from 'node:child_process';
import { withLock } from '../../base/lock.ts';
import { createLocked, execLocked } from '../../runch/container/create.ts';
import { deleteContainer } from '../../runch/container/delete.ts';
import { formFor, hasHooks, removeForm } from '../../runch/container/form.ts';
import { startContainer } from '../../runch/container/start.ts';
import { VzError } from '../../base/errors.ts';
import { bundleRuntime, launchOci } from '../oci-launch.ts';
import type { ContainerState, StateStore } from '../../runch/state/store.ts';

/** The supervisor's only door into runch: its library, not its command line (no process per operation). */

export interface Launched {
  child: ChildProcess;
  pid: number;
  startTime: number;
}

/** Errors that another try cannot fix: the entry goes to `invalid` until the table or the bundle changes. */
export function isInvalid(error: unknown): boolean {
  const code = error instanceof VzError ? error.code : undefined;
  return code === 'invalid-config' || code === 'not-found' || code === 'invalid-id';
}

/**
 * A start through the container's compiled form (runch/container/form.ts: config.json validated once per digest, a
 * changed one recompiled first), the log file as stdout and stderr; the container is our child, in its own session.
 * Without hooks its first process execs the program as soon as it has mounted (no create/start handshake); with
 * hooks it is create + start, so each hook has its turn.
 */
export async function launch(store: StateStore, id: string, bundle: string, logFd: number | 'ignore'): Promise<Launched> {
  if (store.exists(id)) await deleteContainer(store, id, true);
  const runtime = bundleRuntime(bundle); // a bundle written for runc or crun runs under it (oci-launch.ts)
  if (runtime !== 'runch') return launchOci(store, id, bundle, runtime, logFd);
  const { form } = await formFor(store, bundle);
  const options = { bundle, stdio: ['ignore', logFd, logFd] as ['ignore', number | 'ignore', number | 'ignore'], detached: true };
  const lock = store.lockPath(id);
  if (!hasHooks(form)) {
    const { child, state } = await withLock(lock, `container "${id}"`, () => execLocked(store, id, form, options));
    return { child, pid: state.pid, startTime: state.startTime };
  }
  const { child, state } = await withLock(lock, `container "${id}"`, () => createLocked(store, id, form, options));
  try {
    await startContainer(store, id);
  } catch (error) {
    await remove(store, id);
    throw error;
  }
  return { child, pid: state.pid, startTime: state.startTime };
}

/** The entry is gone from the table: its bundle's compiled form goes too. */
export function forgetForm(store: StateStore, bundle: string): void {
  try {
    removeForm(store, bundle);
  } catch {
    // an unremovable cache file is never trusted blindly: it is checked against config.json at the next start
  }
}

/** runch delete --force: its state and (without a mount namespace) its mounts go. Never throws. */
export async function remove(store: StateStore, id: string): Promise<string | undefined> {
  try {
    await deleteContainer(store, id, true);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The runch state of a container, or undefined. */
export function loadState(store: StateStore, id: string): ContainerState | undefined {
  try {
    return store.exists(id) ? store.load(id) : undefined;
  } catch {
    return undefined;
  }
}
