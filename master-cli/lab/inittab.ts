import { VzError } from '../../base/errors.ts';
import type { InitFlavour } from './state.ts';

/** The sshd command init keeps alive; the rest of sshd's options live in the host's private sshd_config. */
export function sshdCommand(address: string, port: number): string {
  return `/usr/sbin/sshd -D -p ${port} -o ListenAddress=${address} -o PidFile=none -E /var/log/sshd.log`;
}

/**
 * A host's /etc/inittab. Why so short: sysvinit silently ignores a process field longer than 127 characters, so
 * sshd's options go to the private sshd_config and the line holds only what differs per host.
 */
export function renderInittab(flavour: InitFlavour, address: string, port: number): string {
  const head = '# written by vzmaster lab: this simulated host\'s init keeps sshd alive\n';
  if (flavour === 'openrc') return renderOpenrcInittab();
  if (flavour === 'systemd') throw new VzError('system', 'a systemd host has no inittab: sshd is its ssh.service');
  const command = sshdCommand(address, port);
  if (command.length > 127) throw new VzError('system', `sshd command for ${address} is longer than sysvinit accepts`);
  if (flavour === 'busybox') return `${head}::respawn:${command}\n`;
  return `${head}id:2:initdefault:\nssh:2345:respawn:${command}\n`;
}

/**
 * sshd_config of a lab host: key login as root only, no PAM or DNS (fast, and nothing reaches the machine's). A fresh
 * host is what a VPS vendor hands over: root may log in with its password (checked against the host's own shadow).
 */
export function renderSshdConfig(fresh = false, listen?: { address: string; port: number }): string {
  return [
    '# written by vzmaster lab',
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    // systemd's ssh.service and OpenRC's service start sshd without per-host arguments: the address is here.
    ...(listen ? [`ListenAddress ${listen.address}`, `Port ${listen.port}`] : []),
    fresh ? 'PermitRootLogin yes' : 'PermitRootLogin prohibit-password',
    fresh ? 'PasswordAuthentication yes' : 'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'UseDNS no',
    'MaxStartups 100:30:200',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

/**
 * OpenRC the way Alpine runs it: busybox init runs the sysinit and boot runlevels, then waits for default, where
 * the host's one service (sshd under supervise-daemon) lives.
 */
export function renderOpenrcInittab(): string {
  return [
    '# written by vzmaster lab: busybox init runs OpenRC, as on Alpine',
    '::sysinit:/sbin/openrc sysinit',
    '::sysinit:/sbin/openrc boot',
    '::wait:/sbin/openrc default',
    '::shutdown:/sbin/openrc shutdown',
    '',
  ].join('\n');
}

/** The OpenRC service of an openrc host's sshd: supervise-daemon, not vzmaster, respawns it. */
export const OPENRC_SSHD_SERVICE = 'vz-lab-sshd';
export function renderOpenrcSshdService(): string {
  return [
    '#!/sbin/openrc-run',
    '# written by vzmaster lab',
    'description="OpenSSH server of this lab host"',
    'supervisor=supervise-daemon',
    'command=/usr/sbin/sshd',
    'command_args="-D -o PidFile=none -E /var/log/sshd.log"',
    'respawn_delay=1',
    'respawn_max=0',
    '',
  ].join('\n');
}

/**
 * An OpenRC host's crond, as Alpine has it (busybox crond from the default runlevel, crontabs in /etc/crontabs), so
 * a schedule in init mode has a clock there; supervise-daemon keeps it in the foreground (-f).
 */
export const OPENRC_CROND_SERVICE = 'crond';
export function renderOpenrcCrondService(busybox: string): string {
  return [
    '#!/sbin/openrc-run',
    '# written by vzmaster lab',
    'description="busybox crond of this lab host, as on Alpine"',
    'supervisor=supervise-daemon',
    `command=${busybox}`,
    'command_args="crond -f -c /etc/crontabs -L /var/log/crond.log"',
    'respawn_delay=1',
    'respawn_max=0',
    '',
  ].join('\n');
}
