import { readlinkSync, realpathSync } from 'node:fs';
import { isAlive, listPids, processStartTime, readStat } from '../../base/proc.ts';
import type { ContainerState } from '../state/store.ts';

function link(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** What the kernel says of a process: state, process group, session, start time. */
const stat = readStat;

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** This process and its ancestors: a runch run by a hook or a shell of the container never ends its caller. */
function ancestors(): Set<number> {
  const found = new Set<number>();
  for (let pid = process.pid; pid > 1 && !found.has(pid); pid = readStat(pid)?.ppid ?? 0) found.add(pid);
  return found;
}

/**
 * Every live process of a container, without cgroups and never by name, from what the kernel says of each:
 * - its root (/proc/PID/root) is the container's rootfs: every process of the program is chrooted there;
 * - or it lives in the container's own mount namespace (the inode recorded at create, or the main process's
 *   while it lives), which is neither ours nor PID 1's;
 * - or its process group or session is the one the container's main process leads (runch makes it a session
 *   leader), while that pid is not reused by another process.
 * And it started no earlier than the main process, and is not a zombie (a zombie has exited; this VM's PID 1
 * reaps slowly). So a daemon that setsid()s and outlives its parent is found; a same-named process outside is not.
 * When the main process is gone, a namespace inode alone is not trusted (the kernel reuses freed inode numbers for
 * new namespaces): a member must then also have the rootfs as its root.
 */
export function containerPids(state: ContainerState): number[] {
  const members = new Set<number>();
  const mainAlive = state.pid > 0 && isAlive(state.pid, state.startTime);
  if (mainAlive) members.add(state.pid);
  const pidReused = state.pid > 0 && !mainAlive && processStartTime(state.pid) !== undefined;
  const ownNs = link('/proc/self/ns/mnt');
  const initNs = link('/proc/1/ns/mnt');
  const liveNs = mainAlive && state.mountNamespace ? link(`/proc/${state.pid}/ns/mnt`) : undefined;
  const containerNs = [liveNs, state.mountNs].filter((ns): ns is string => ns !== undefined && ns !== ownNs && ns !== initNs);
  const rootfs = new Set([state.rootfs, real(state.rootfs)]);
  const mine = ancestors();
  for (const pid of listPids()) {
    if (mine.has(pid) || members.has(pid)) continue;
    const info = stat(pid);
    if (!info || info.state === 'Z' || info.state === 'X' || info.startTime < state.startTime) continue;
    const root = link(`/proc/${pid}/root`);
    const inRoot = root !== undefined && rootfs.has(root);
    const ns = containerNs.length > 0 ? link(`/proc/${pid}/ns/mnt`) : undefined;
    const inNs = ns !== undefined && containerNs.includes(ns) && (mainAlive || inRoot);
    // Another container on the same rootfs has a namespace of its own: the root alone does not make it ours.
    const otherNs = state.mountNs !== undefined && ns !== undefined && ns !== state.mountNs && ns !== ownNs && ns !== initNs;
    const inGroup = state.pid > 0 && !pidReused && (info.pgid === state.pid || info.sid === state.pid);
    if (inNs || (inRoot && !otherNs) || inGroup) members.add(pid);
  }
  return [...members];
}
