import { accessSync, constants } from 'node:fs';
import { VzError } from '../../base/errors.ts';
import { BUSYBOX, SYSVINIT } from './launch.ts';

const SETUP_HINT = 'run "bash .ci/run --setup-only" (installs openssh-server, busybox-static, ansible-core, and unpacks sysvinit)';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((dir) => dir && executable(`${dir}/${name}`));
}

/** Why up front: a host that cannot start fails after others did; one line naming the missing piece is better. */
export function checkLabRequirements(needs: { sysvinit: boolean; busybox: boolean; fresh?: boolean }): void {
  if (process.getuid?.() !== 0) throw new VzError('usage', 'vzmaster lab needs root (it creates mount and pid namespaces): run it as root');
  if (!onPath('unshare')) throw new VzError('not-found', 'unshare (util-linux) is not installed');
  if (!executable('/usr/sbin/sshd')) throw new VzError('not-found', `/usr/sbin/sshd is missing: ${SETUP_HINT}`);
  if (!onPath('ssh-keygen')) throw new VzError('not-found', `ssh-keygen is missing: ${SETUP_HINT}`);
  if (needs.sysvinit && !executable(SYSVINIT)) throw new VzError('not-found', `sysvinit is not at ${SYSVINIT}: ${SETUP_HINT}, set VZ_SYSVINIT, or use --busybox N for every host`);
  // A fresh host shares the machine's /usr: were sudo missing, newnode would install it there, onto the machine.
  if (needs.fresh && !executable('/usr/bin/sudo')) throw new VzError('not-found', `--fresh hosts need sudo installed on this machine (lab hosts share its /usr): ${SETUP_HINT.replace('openssh-server,', 'openssh-server, sudo,')}`);
  if (needs.busybox && !executable(BUSYBOX)) throw new VzError('not-found', `busybox is not at ${BUSYBOX}: ${SETUP_HINT} or set VZ_BUSYBOX`);
}
