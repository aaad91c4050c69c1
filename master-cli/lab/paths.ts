import { join, resolve } from 'node:path';
import { VzError } from '../../base/errors.ts';

/** The lab dir: --dir, else VZ_LAB_DIR, else /var/lib/vz-lab. */
export function defaultLabDir(flag?: string): string {
  return resolve(flag ?? process.env.VZ_LAB_DIR ?? '/var/lib/vz-lab');
}

/**
 * Why a refusal list: the lab dir ends up inside ssh options (IdentityFile, ControlPath expand %, $ and quotes),
 * ansible variables (templated: { }) and inittab-free shell argv. Spaces, ' and ; are fine; these are not.
 */
const UNSAFE = /["%$\\{}`\n\r\t\x00-\x1f,:]/;
const MAX_LENGTH = 70; // ControlPath sockets live below it and a socket path must stay under 108 bytes

export function checkLabDir(dir: string): string {
  if (UNSAFE.test(dir)) throw new VzError('usage', `lab dir ${JSON.stringify(dir)} holds a character ssh or ansible would interpret (" % $ \\ { } \` , : or a control character): choose another --dir`);
  if (dir.length > MAX_LENGTH) throw new VzError('usage', `lab dir ${JSON.stringify(dir)} is longer than ${MAX_LENGTH} characters (ssh control sockets live below it): choose a shorter --dir`);
  if (dir === '/') throw new VzError('usage', 'lab dir cannot be /: choose a dedicated --dir');
  return dir;
}

/** Every path the lab writes, in one place (docs/lab.md lists them). */
export function labPaths(dir: string) {
  return {
    dir,
    state: join(dir, 'lab.json'),
    lock: join(dir, 'lab'),
    hosts: join(dir, 'hosts'),
    ssh: join(dir, 'ssh'),
    key: join(dir, 'ssh', 'id_ed25519'),
    inventory: join(dir, 'inventory.yml'),
    ansibleCfg: join(dir, 'ansible.cfg'),
    config: join(dir, 'vzmaster.json'),
    ansibleState: join(dir, 'ansible'),
  };
}
export type LabPaths = ReturnType<typeof labPaths>;

/**
 * A host's private directories: copies of /etc and /root, its /var/lib/vz and /var/log, its console log; a fresh host's
 * /usr/local. A host with its own root (systemd, OpenRC, or a tree: see root-host.ts) keeps them all in the upper
 * layer of its root overlay instead (`upper/etc`, ...), its disk across stop-host/start-host.
 */
export function hostPaths(paths: LabPaths, name: string, ownRoot = false) {
  const base = join(paths.hosts, name);
  const top = ownRoot ? join(base, 'upper') : base;
  return {
    base,
    etc: join(top, 'etc'),
    root: join(top, 'root'),
    vz: ownRoot ? join(top, 'var', 'lib', 'vz') : join(base, 'vz'),
    log: ownRoot ? join(top, 'var', 'log') : join(base, 'log'),
    home: join(top, 'home'),
    /** A fresh host's own /usr/local (so the machine's Node is not there), and its root password. */
    usrLocal: join(base, 'usr-local'),
    rootPassword: join(base, 'root-password'),
    console: join(base, 'console.log'),
    /** An own-root host: its overlay's upper and work dirs, the mount point of its root, the first-boot marker. */
    upper: join(base, 'upper'),
    work: join(base, 'work'),
    rootfs: join(base, 'rootfs'),
    prepared: join(base, 'prepared'),
  };
}
