import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The `vz` cgroup directories runc and crun make for vz's containers (a relative cgroupsPath: `vz/<parent>/<id>`
 * under the cgroups of the process that started them), on every cgroup mount of this mount namespace.
 */
export function vzCgroups(): string[] {
  const found: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right || !/^cgroup2? /.test(right)) continue;
    const mount = left.split(' ')[4];
    for (const own of ['', ...readFileSync('/proc/self/cgroup', 'utf8').split('\n').map((l) => l.split(':')[2] ?? '')]) {
      const dir = join(mount, own, 'vz');
      if (existsSync(dir) && !found.includes(dir)) found.push(dir);
    }
  }
  return found;
}

function subdirs(dir: string): string[] {
  const out = [dir];
  for (let i = 0; i < out.length; i++) for (const e of readdirSync(out[i], { withFileTypes: true })) if (e.isDirectory()) out.push(join(out[i], e.name));
  return out;
}

/**
 * Remove what the runtimes left under `vz/<parent>` for each parent (deepest first), then `vz` itself when empty.
 * Never throws: a directory still in use (another test's, a container still in it) stays, so a teardown that calls
 * this never stops the teardowns after it.
 */
export function removeRuntimeCgroups(parents: string[]): void {
  const rmdir = (d: string) => {
    try {
      rmdirSync(d);
    } catch {
      // not empty, or gone
    }
  };
  for (const vz of vzCgroups()) {
    for (const parent of parents) if (existsSync(join(vz, parent))) for (const d of subdirs(join(vz, parent)).reverse()) rmdir(d);
    rmdir(vz);
  }
}

/** A process's command line, NULs as spaces ('' once it is gone). */
export const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
};

/** Machine-wide: every process whose command line is exactly `command` (a runtime's program is in a pid namespace of its own). */
export const pidsExactly = (command: string): number[] =>
  readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => cmdline(p) === command);
