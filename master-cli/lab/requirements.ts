import { accessSync, constants } from 'node:fs';
import { VzError } from '../../base/errors.ts';
import { BUSYBOX, SYSVINIT } from './launch.ts';
import { OPENRC } from './root-host.ts';
import type { InitFlavour } from './state.ts';

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
export function checkLabRequirements(needs: { inits: Set<InitFlavour>; fresh?: boolean }): void {
  if (process.getuid?.() !== 0) throw new VzError('usage', 'vzmaster lab needs root (it creates mount and pid namespaces): run it as root');
  if (!onPath('unshare')) throw new VzError('not-found', 'unshare (util-linux) is not installed');
  if (!executable('/usr/sbin/sshd')) throw new VzError('not-found', `/usr/sbin/sshd is missing: ${SETUP_HINT}`);
  if (!onPath('ssh-keygen')) throw new VzError('not-found', `ssh-keygen is missing: ${SETUP_HINT}`);
  if (needs.inits.has('sysvinit') && !executable(SYSVINIT)) throw new VzError('not-found', `sysvinit is not at ${SYSVINIT}: ${SETUP_HINT}, set VZ_SYSVINIT, or use --busybox N for every host`);
  if (needs.inits.has('systemd') && !executable('/lib/systemd/systemd')) throw new VzError('not-found', `systemd hosts boot this machine's /lib/systemd/systemd, which is missing: apt-get install --no-install-recommends systemd (without systemd-sysv the machine's init stays)`);
  if (needs.inits.has('systemd') && !onPath('nsenter')) throw new VzError('not-found', 'nsenter (util-linux) is not installed: systemd hosts are controlled through it');
  if (needs.inits.has('openrc') && !executable(`${OPENRC}/usr/sbin/openrc`)) throw new VzError('not-found', `OpenRC is not unpacked at ${OPENRC}: ${SETUP_HINT.replace('sysvinit', 'sysvinit and openrc')} or set VZ_OPENRC`);
  // A fresh host shares the machine's /usr: were sudo missing, newnode would install it there, onto the machine.
  if (needs.fresh && !executable('/usr/bin/sudo')) throw new VzError('not-found', `--fresh hosts need sudo installed on this machine (lab hosts share its /usr): ${SETUP_HINT.replace('openssh-server,', 'openssh-server, sudo,')}`);
  if ((needs.inits.has('busybox') || needs.inits.has('openrc')) && !executable(BUSYBOX)) throw new VzError('not-found', `busybox is not at ${BUSYBOX}: ${SETUP_HINT} or set VZ_BUSYBOX`);
}
