import type { ChildProcess } from 'node:child_process';
import { createContainer } from '../../runch/container/create.ts';
import { deleteContainer } from '../../runch/container/delete.ts';
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

/** create + start with the log file as stdout and stderr; the container is our child, in its own session. */
export async function launch(store: StateStore, id: string, bundle: string, logFd: number | 'ignore'): Promise<Launched> {
  if (store.exists(id)) await deleteContainer(store, id, true);
  const runtime = bundleRuntime(bundle); // a bundle written for runc or crun runs under it (oci-launch.ts)
  if (runtime !== 'runch') return launchOci(store, id, bundle, runtime, logFd);
  const { child, state } = await createContainer(store, id, { bundle, stdio: ['ignore', logFd, logFd], detached: true });
  try {
    await startContainer(store, id);
  } catch (error) {
    await remove(store, id);
    throw error;
  }
  return { child, pid: state.pid, startTime: state.startTime };
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
