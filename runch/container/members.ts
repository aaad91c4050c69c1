import { readlinkSync } from 'node:fs';
import { listPids, readStat } from '../../base/proc.ts';
import type { ContainerState } from '../state/store.ts';

function link(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Every process of a container, without cgroups: its process group, plus every process in its private mount
 * namespace (or, without one, every process whose root is its rootfs). Daemons that setsid are still found.
 */
export function containerPids(state: ContainerState): number[] {
  const members = new Set<number>([state.pid]);
  const ownNs = link('/proc/self/ns/mnt');
  const containerNs = link(`/proc/${state.pid}/ns/mnt`);
  const useNs = state.mountNamespace && containerNs !== undefined && containerNs !== ownNs;
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    if (readStat(pid)?.pgid === state.pid) members.add(pid);
    else if (useNs && link(`/proc/${pid}/ns/mnt`) === containerNs) members.add(pid);
    else if (link(`/proc/${pid}/root`) === state.rootfs) members.add(pid);
  }
  return [...members];
}
