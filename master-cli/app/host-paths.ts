import { basename } from 'node:path';

/**
 * Where vz keeps its files on a host. Everything lives under /var/lib/vz (the table and the logs too, passed to
 * runch explicitly), so a host needs one writable directory and lab hosts, which share the machine's /usr and
 * /var/log, never see each other's files.
 */
export const VZ_HOME = '/var/lib/vz';
export const HOST_RUNCH = `${VZ_HOME}/bin/runch.cjs`;
export const HOST_TABLE = `${VZ_HOME}/table`;
export const HOST_LOG_DIR = `${VZ_HOME}/log`;
export const HOST_IMAGES = `${VZ_HOME}/images`;

export function hostImagePath(imageFile: string): string {
  return `${HOST_IMAGES}/${basename(imageFile)}`;
}

/** One directory per app and image digest: a new version unpacks beside the old one, so rollback is a switch. */
export function hostBundleDir(app: string, version: string): string {
  return `${VZ_HOME}/bundles/${app}/${version}`;
}

/** runch's flags that point it at vz's own table and log directory on the host. */
export const HOST_RUNCH_FLAGS = ['--table', HOST_TABLE, '--log-dir', HOST_LOG_DIR];
