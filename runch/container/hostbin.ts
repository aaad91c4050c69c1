import { accessSync, constants } from 'node:fs';
import { VzError } from '../../base/errors.ts';

const DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];
const found = new Map<string, string>();

/**
 * Why: the launch chain is exec'd by absolute path, so the container's PATH (applied only after chroot)
 * never decides which host binary runs as root.
 */
export function hostBinary(name: string, pkg = 'util-linux'): string {
  const cached = found.get(name);
  if (cached) return cached;
  for (const dir of DIRS) {
    try {
      accessSync(`${dir}/${name}`, constants.X_OK);
      found.set(name, `${dir}/${name}`);
      return `${dir}/${name}`;
    } catch {
      // try the next directory
    }
  }
  throw new VzError('system', `runch needs "${name}" from ${pkg} on the host: install ${pkg}`);
}
