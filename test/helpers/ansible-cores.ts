import { accessSync, constants } from 'node:fs';

/** The current ansible-core .ci/run installs beside Debian 12's 2.14 (VZ_ANSIBLE_CURRENT overrides). */
export const CURRENT_ANSIBLE = process.env.VZ_ANSIBLE_CURRENT ?? '/opt/vz-ansible-2.19/bin/ansible';

/** Every ansible-core on this machine: the default one on PATH, and the current one when it is installed. */
export function ansibleCores(): string[] {
  return ['ansible', CURRENT_ANSIBLE].filter((bin) => {
    try {
      if (bin.includes('/')) accessSync(bin, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
