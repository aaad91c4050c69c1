import { readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { listPids, readStat } from '../../base/proc.ts';
import { ansibleDirs } from '../ansible/env.ts';
import { releaseAddress } from './addresses.ts';
import { killHost } from './launch.ts';
import type { LabPaths } from './paths.ts';
import type { LabState } from './state.ts';

/**
 * End every process the lab started (by recorded pid: each host's init and unshare; ssh control masters that
 * ansible left for it) and remove every file it made. Mounts need no unmounting: they live only in the hosts'
 * private mount namespaces, which vanish with their last process.
 */
export async function tearDown(paths: LabPaths, state: LabState | undefined, options: { keepDir?: boolean } = {}): Promise<void> {
  for (const host of state?.hosts ?? []) await killHost(host);
  endControlMasters(ansibleDirs(paths.ansibleState).controlPath);
  for (const host of state?.hosts ?? []) releaseAddress(host.address, paths.dir);
  for (const path of [paths.hosts, paths.ssh, paths.inventory, paths.ansibleCfg, paths.config, paths.ansibleState, paths.state])
    rmSync(path, { recursive: true, force: true });
  if (!options.keepDir && state?.createdDir) removeEmptyDir(paths.dir);
}

/** Remove a dir vzmaster created, unless someone put their own files there since. */
export function removeEmptyDir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty (or gone): leave it
  }
}

/** ssh ControlPersist masters whose socket is in the lab's control dir: processes vzmaster's runs started. */
function endControlMasters(controlDir: string): void {
  for (const pid of listPids()) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    // A ControlPersist master renames itself "ssh: <socket path> [mux]"; before that its argv holds ControlPath.
    const argv = cmdline.split('\0');
    const mine = argv[0]?.startsWith(`ssh: ${controlDir}/`) || (argv[0]?.endsWith('ssh') && argv.some((arg) => arg.includes(`ControlPath="${controlDir}/`) || arg.includes(`ControlPath=${controlDir}/`)));
    if (!mine) continue;
    if (readStat(pid)?.state === 'Z') continue;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  try {
    if (readdirSync(controlDir).length === 0) rmSync(controlDir, { recursive: true, force: true });
  } catch {
    // no control dir
  }
}
