import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VzError } from '../../base/errors.ts';

/**
 * A systemd host's own cgroup2 subtree. Why: systemd as PID 1 needs a cgroup hierarchy it may own; given its own
 * directory (it enters it before `unshare --cgroup`, so that directory is the root of its cgroup namespace) and a
 * cgroup2 mount of it, it creates init.scope and its slices there, never in the machine's cgroup roots.
 */

/** The machine's cgroup2 mount point (/sys/fs/cgroup on a unified machine, /sys/fs/cgroup/unified on a hybrid one). */
export function cgroup2Mount(): string {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (right?.startsWith('cgroup2 ')) return left.split(' ')[4].replace(/\\040/g, ' ');
  }
  throw new VzError('not-found', 'this machine has no cgroup2 mount: systemd lab hosts need one (mount -t cgroup2 none /sys/fs/cgroup/unified)');
}

/** vz-lab-<8 hex of the lab dir>-<host>: unique per lab and host, whatever characters the lab dir holds. */
export function hostCgroupPath(labDir: string, hostName: string): string {
  const lab = createHash('sha256').update(labDir).digest('hex').slice(0, 8);
  return join(cgroup2Mount(), `vz-lab-${lab}-${hostName}`);
}

export function makeHostCgroup(path: string): void {
  mkdirSync(path, { recursive: true });
}

/** Pids still in the subtree (any depth). */
export function cgroupPids(path: string): number[] {
  const pids: number[] = [];
  for (const dir of subtree(path)) {
    try {
      pids.push(...readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number));
    } catch {
      // removed meanwhile
    }
  }
  return pids;
}

/** Remove the subtree depth-first (a cgroup dir can only go once empty of processes and children). */
export function removeHostCgroup(path: string): void {
  for (const dir of subtree(path).reverse()) {
    try {
      rmdirSync(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new VzError('system', `cannot remove the lab's cgroup ${dir} (${code}): a process is still in it`);
    }
  }
}

/** The dir and its descendant cgroups, parents first. */
function subtree(path: string): string[] {
  try {
    if (!statSync(path).isDirectory()) return [];
  } catch {
    return [];
  }
  const dirs = [path];
  for (let i = 0; i < dirs.length; i++) {
    try {
      for (const entry of readdirSync(dirs[i], { withFileTypes: true })) if (entry.isDirectory()) dirs.push(join(dirs[i], entry.name));
    } catch {
      // removed meanwhile
    }
  }
  return dirs;
}

/**
 * Move a process (the host's unshare) back to the cgroup2 group this process runs in. Why: once unshare has made the
 * host's cgroup namespace (rooted at the host's subtree) and forked init, it has no business in that subtree; left
 * there, it is an "internal process" that stops the host's systemd from enabling controllers for its slices on a
 * machine where cgroup2 has controllers (a unified machine).
 */
export function moveToOwnCgroup(pid: number): void {
  const own = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((line) => line.startsWith('0::'))?.slice(3) ?? '/';
  writeFileSync(join(cgroup2Mount(), own, 'cgroup.procs'), String(pid));
}
