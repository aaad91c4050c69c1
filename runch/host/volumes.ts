import { chownSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { VzError } from '../../base/errors.ts';
import type { HostConfig, HostSelf } from '../../base/host-contract.ts';

/**
 * An app's volumes on a host: `<vz home>/volumes/<app>/<name>`, beside the bundles directory and outside every
 * version, so a deploy, a rollback or a prune (which remove version directories only) never touch them.
 */
export function volumesDir(config: HostConfig, app: string): string {
  return join(dirname(config.bundles), 'volumes', app);
}

/**
 * Make each volume's directory if it is new, owned by the container process's uid:gid. On first creation only: a
 * later version running as another user must not have data re-chowned under it; the owner then stays the first one.
 * Returns the names made (the answer's notes).
 */
export function ensureVolumes(config: HostConfig, app: string, volumes: Record<string, string>, owner: { uid: number; gid: number }): string[] {
  const made: string[] = [];
  for (const name of Object.keys(volumes)) {
    const dir = join(volumesDir(config, app), name);
    if (existsSync(dir)) continue;
    mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
    mkdirSync(dir, { mode: 0o755 });
    try {
      chownSync(dir, owner.uid, owner.gid);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true }); // never a volume left owned by root for a non-root process
      throw new VzError('system', `volume "${name}": cannot give ${dir} to ${owner.uid}:${owner.gid}: ${(error as Error).message}`);
    }
    made.push(name);
  }
  return made;
}

/**
 * The config.json a host writes: the master's, plus what only the host knows: VZ_HOST and VZ_HOST_ADDR in the env
 * (who this host is in the inventory: a replica binds its own host's address), and one bind mount per volume from
 * outside the bundle, after the config's own mounts (a volume over an image's directory wins).
 */
export function hostConfigJson(config: Record<string, unknown>, self: HostSelf | undefined, volumeDir: string, volumes: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  if (self) {
    const proc = { ...(config.process as Record<string, unknown> | undefined) };
    const env = ((proc.env as string[] | undefined) ?? []).filter((e) => !/^VZ_HOST(_ADDR)?=/.test(e));
    proc.env = [...env, `VZ_HOST=${self.name}`, `VZ_HOST_ADDR=${self.addr}`];
    out.process = proc;
  }
  const names = Object.keys(volumes).sort();
  if (names.length > 0) {
    const mounts = ((config.mounts as Record<string, unknown>[] | undefined) ?? []).filter((m) => !names.some((n) => m.destination === volumes[n]));
    out.mounts = [...mounts, ...names.map((n) => ({ destination: volumes[n], type: 'bind', source: join(volumeDir, n), options: ['rbind', 'rw'] }))];
  }
  return out;
}
