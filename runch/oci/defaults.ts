import type { OciConfig, OciMount } from './schema.ts';

/** The mounts arch-chroot sets up, used when config.json lists none. */
export const ARCH_CHROOT_MOUNTS: OciMount[] = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/sys', type: 'sysfs', source: 'sys', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
  { destination: '/dev', type: 'devtmpfs', source: 'udev', options: ['mode=0755', 'nosuid'] },
  { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['mode=0620', 'gid=5', 'nosuid', 'noexec'] },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['mode=1777', 'nosuid', 'nodev'] },
  { destination: '/run', type: 'tmpfs', source: 'run', options: ['nosuid', 'nodev', 'mode=0755'] },
  { destination: '/tmp', type: 'tmpfs', source: 'tmp', options: ['mode=1777', 'strictatime', 'nodev', 'nosuid'] },
];

export const RESOLV_CONF: OciMount = {
  destination: '/etc/resolv.conf',
  type: 'bind',
  source: '/etc/resolv.conf',
  options: ['bind', 'ro'],
};

/** `runch spec`: a config that runs in a chroot as is, with no fields runch would have to ignore. */
export function specTemplate(args: string[] = ['sh']): OciConfig {
  return {
    ociVersion: '1.2.0',
    root: { path: 'rootfs', readonly: false },
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args,
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    mounts: ARCH_CHROOT_MOUNTS,
    annotations: {},
  };
}
