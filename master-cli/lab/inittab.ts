import { VzError } from '../../base/errors.ts';

/** The sshd command init keeps alive; the rest of sshd's options live in the host's private sshd_config. */
export function sshdCommand(address: string, port: number): string {
  return `/usr/sbin/sshd -D -p ${port} -o ListenAddress=${address} -o PidFile=none -E /var/log/sshd.log`;
}

/**
 * A host's /etc/inittab. Why so short: sysvinit silently ignores a process field longer than 127 characters, so
 * sshd's options go to the private sshd_config and the line holds only what differs per host.
 */
export function renderInittab(flavour: 'sysvinit' | 'busybox', address: string, port: number): string {
  const command = sshdCommand(address, port);
  if (command.length > 127) throw new VzError('system', `sshd command for ${address} is longer than sysvinit accepts`);
  const head = '# written by vzmaster lab: this simulated host\'s init keeps sshd alive\n';
  if (flavour === 'busybox') return `${head}::respawn:${command}\n`;
  return `${head}id:2:initdefault:\nssh:2345:respawn:${command}\n`;
}

/**
 * sshd_config of a lab host: key login as root only, no PAM or DNS (fast, and nothing reaches the machine's). A fresh
 * host is what a VPS vendor hands over: root may log in with its password (checked against the host's own shadow).
 */
export function renderSshdConfig(fresh = false): string {
  return [
    '# written by vzmaster lab',
    'HostKey /etc/ssh/ssh_host_ed25519_key',
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
