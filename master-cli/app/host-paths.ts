import { basename } from 'node:path';
import { DEFAULT_HOST_PATHS, VZ_HOME } from '../../base/host-contract.ts';

/**
 * Where vz keeps its files on a host: everything under /var/lib/vz (the host config, table and logs too), so a host
 * needs one writable directory and lab hosts, which share the machine's /usr and /var/log, never see each other's
 * files. The host config (/var/lib/vz/host.json) records them for runch; these are the master's side of it.
 */
export { VZ_HOME };
export const HOST_RUNCH = DEFAULT_HOST_PATHS.runch;
export const HOST_IMAGES = DEFAULT_HOST_PATHS.images;

export function hostImagePath(imageFile: string): string {
  return `${HOST_IMAGES}/${basename(imageFile)}`;
}

/** An app's volume on a host (runch/host/volumes.ts makes it beside the bundles directory: the same place). */
export function volumeDir(app: string, name: string): string {
  return `${VZ_HOME}/volumes/${app}/${name}`;
}
