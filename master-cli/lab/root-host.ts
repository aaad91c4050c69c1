import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { execa } from 'execa';
import { VzError } from '../../base/errors.ts';
import { OPENRC_CROND_SERVICE, OPENRC_SSHD_SERVICE, renderInittab, renderOpenrcCrondService, renderOpenrcSshdService, renderSshdConfig } from './inittab.ts';
import { BUSYBOX } from './launch.ts';
import { hostPaths, type LabPaths } from './paths.ts';
import type { LabHost } from './state.ts';
import { treePath } from './trees.ts';

/** Debian's openrc, unpacked (never installed) and merged into /usr: .ci/run puts it here. */
export const OPENRC = process.env.VZ_OPENRC ?? '/opt/vz-openrc';

/**
 * Does the host run on a root of its own (an overlay: lower the machine's / or a tree, upper its disk in the host
 * dir), rather than on the machine's / with private /etc, /var, /root, /run, /tmp bound over it? systemd needs its
 * own /proc, /sys, /dev and cgroup mount; OpenRC its own /sbin/openrc and /etc/runlevels; a tree host its own
 * everything.
 */
export function ownRoot(host: Pick<LabHost, 'init' | 'tree'>): boolean {
  return host.init === 'systemd' || host.init === 'openrc' || host.tree !== undefined;
}

/** The personality an i386 host's init runs under (inherited by every process of the host), else "-". */
export function personality(host: Pick<LabHost, 'tree'>): string {
  return host.tree?.endsWith('-i386') ? 'i686' : '-';
}

/** The overlay's lower layer: the host's tree, else the machine's /. */
export function lowerRoot(host: Pick<LabHost, 'tree'>): string {
  return host.tree ? treePath(host.tree) : '/';
}

/**
 * The first content of an own-root host's disk, written straight into its overlay's upper layer (new files over
 * the lower's): its own host key, sshd_config, hostname, machine-id, /etc/hosts line, inittab (sysvinit, busybox,
 * OpenRC), OpenRC's files and sshd service, and /root with only the lab's public key. What must vanish from the
 * lower (the machine's enabled systemd units, its other host keys, /.dockerenv) is removed through the mounted
 * overlay at first boot (ROOT_SETUP), which records whiteouts.
 */
export async function prepareRootHostDir(paths: LabPaths, host: LabHost, publicKey: string): Promise<void> {
  const dirs = hostPaths(paths, host.name, true);
  const lower = lowerRoot(host);
  mkdirSync(dirs.base, { recursive: true, mode: 0o700 });
  for (const dir of [dirs.upper, dirs.work, dirs.rootfs]) mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (host.init === 'openrc') {
    if (!existsSync(join(OPENRC, 'usr', 'sbin', 'openrc'))) throw new VzError('not-found', `OpenRC is not unpacked at ${OPENRC}: run "bash .ci/run --setup-only" or set VZ_OPENRC`);
    await execa('cp', ['-a', '--', `${OPENRC}/.`, dirs.upper], { stdin: 'ignore' });
    // Debian's OpenRC reads LSB facility names from it; the host has no LSB services to name.
    writeFileSync(join(dirs.etc, 'insserv.conf'), '');
    writeFileSync(join(dirs.etc, 'init.d', OPENRC_SSHD_SERVICE), renderOpenrcSshdService(), { mode: 0o755 });
    mkdirSync(join(dirs.etc, 'runlevels', 'default'), { recursive: true });
    symlinkSync(`/etc/init.d/${OPENRC_SSHD_SERVICE}`, join(dirs.etc, 'runlevels', 'default', OPENRC_SSHD_SERVICE));
    writeFileSync(join(dirs.etc, 'init.d', OPENRC_CROND_SERVICE), renderOpenrcCrondService(BUSYBOX), { mode: 0o755 });
    mkdirSync(join(dirs.etc, 'crontabs'), { mode: 0o755 });
    symlinkSync(`/etc/init.d/${OPENRC_CROND_SERVICE}`, join(dirs.etc, 'runlevels', 'default', OPENRC_CROND_SERVICE));
  }
  const ssh = join(dirs.etc, 'ssh');
  mkdirSync(ssh, { recursive: true, mode: 0o755 });
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${host.name}`, '-f', join(ssh, 'ssh_host_ed25519_key')], { stdin: 'ignore' });
  const viaInittab = host.init === 'sysvinit' || host.init === 'busybox';
  writeFileSync(join(ssh, 'sshd_config'), renderSshdConfig(host.fresh === true, viaInittab ? undefined : { address: host.address, port: host.port }));
  if (host.init !== 'systemd') writeFileSync(join(dirs.etc, 'inittab'), renderInittab(host.init, host.address, host.port));
  writeFileSync(join(dirs.etc, 'hostname'), `${host.name}\n`);
  // A fresh machine-id: systemd (and journald, dbus) would otherwise share the machine's or the tree's.
  writeFileSync(join(dirs.etc, 'machine-id'), `${randomBytes(16).toString('hex')}\n`, { mode: 0o444 });
  let hosts = '127.0.0.1\tlocalhost\n';
  try {
    hosts = readFileSync(join(lower, 'etc', 'hosts'), 'utf8');
  } catch {
    // a tree without /etc/hosts: the localhost line above
  }
  writeFileSync(join(dirs.etc, 'hosts'), `${hosts.replace(/\n?$/, '\n')}${host.address}\t${host.name}\n`);
  mkdirSync(join(dirs.root, '.ssh'), { recursive: true, mode: 0o700 });
  chmodSync(dirs.root, 0o700);
  for (const dotfile of ['.profile', '.bashrc']) {
    const skel = join(lower, 'etc', 'skel', dotfile);
    if (existsSync(skel)) copyFileSync(skel, join(dirs.root, dotfile));
  }
  if (host.fresh) await freshRootPassword(dirs, lower);
  else writeFileSync(join(dirs.root, '.ssh', 'authorized_keys'), publicKey, { mode: 0o600 });
  mkdirSync(dirs.vz, { recursive: true, mode: 0o755 });
  mkdirSync(dirs.log, { recursive: true, mode: 0o755 });
}

/**
 * A fresh own-root host (a tree's VPS as its vendor hands it over, for newnode): root gets a random password (kept
 * in the host dir), hashed by openssl (SHA-512 crypt) into the host's own /etc/shadow, a copy of the tree's with
 * only root's hash changed, same owner and mode. No key is authorized.
 */
async function freshRootPassword(dirs: ReturnType<typeof hostPaths>, lower: string): Promise<void> {
  const password = randomBytes(15).toString('base64url');
  writeFileSync(dirs.rootPassword, `${password}\n`, { mode: 0o600 });
  const hash = (await execa('openssl', ['passwd', '-6', '-stdin'], { input: `${password}\n` })).stdout.trim();
  const source = join(lower, 'etc', 'shadow');
  const lines = readFileSync(source, 'utf8').split('\n');
  const root = lines.findIndex((line) => line.startsWith('root:'));
  if (root < 0) throw new VzError('system', `${source} has no root entry: rebuild the tree`);
  const fields = lines[root].split(':');
  fields[1] = hash;
  lines[root] = fields.join(':');
  const target = join(dirs.etc, 'shadow');
  const { uid, gid, mode } = statSync(source);
  writeFileSync(target, lines.join('\n'), { mode: mode & 0o777 });
  chownSync(target, uid, gid);
  chmodSync(target, mode & 0o777);
}

/**
 * Runs as pid 1 of the host's new namespaces, then becomes its init. Constant text; arguments: host dir, host name,
 * overlay lowerdir, init flavour, personality ("-", or i686 for an i386 tree, so `uname -m` says what a 32-bit
 * VPS says), then init's argv. It mounts the host's root (an overlay) on the host dir's
 * rootfs/, gives it what a container manager gives a container (systemd's container interface): /proc with a
 * read-only /proc/sys, a fresh read-only sysfs (so no udev), cgroup2 (systemd only: its own subtree, the root of
 * its cgroup namespace; without this mount it would mount the machine's v1 hierarchies and make slices there;
 * OpenRC gets none, or its cgroup script would move services into the machine's root cgroups), a /dev tmpfs with
 * the basic nodes and a devpts of its own, a null device node of its own as console (a pty slave would need a
 * holder outliving init; both inits tcsetattr it; a plain file gets overwritten; and the machine's /dev/null bound
 * there would take whatever chown/chmod the host's console gets), tmpfs on /run, /run/lock and /tmp; then
 * pivot_root into it. First boot only (the host's disk keeps the result): the lower's enabled systemd units are
 * removed (the machine's services must not start inside), only ssh is enabled, console-getty is masked (it fails on
 * a /dev/null console, leaving the state "degraded"); every host loses /.dockerenv (OpenRC believes it runs in
 * Docker when it exists) and the lower's other ssh host keys. Init starts without CAP_SYS_MODULE and CAP_SYS_TIME
 * in its bounding set: a simulated host must not load modules into, or set the clock of, the machine's kernel (and
 * systemd then skips systemd-modules-load, which fails in a container and leaves the state "degraded").
 */
export const ROOT_SETUP = `set -e
h=$1 name=$2 lowers=$3 kind=$4 personality=$5
shift 5
r=$h/rootfs
mount -t overlay -o "lowerdir=$lowers,upperdir=$h/upper,workdir=$h/work" vzlab-root "$r"
if [ ! -e "$h/prepared" ]; then
  rm -f "$r/.dockerenv" "$r/run/.containerenv"
  for key in "$r"/etc/ssh/ssh_host_*; do
    case $key in */ssh_host_ed25519_key|*/ssh_host_ed25519_key.pub) ;; *) rm -f "$key" ;; esac
  done
  if [ "$kind" = systemd ]; then
    for wants in "$r"/etc/systemd/system/*.wants; do if [ -d "$wants" ]; then rm -f "$wants"/*; fi; done
    mkdir -p "$r/etc/systemd/system/multi-user.target.wants"
    ln -sf /lib/systemd/system/ssh.service "$r/etc/systemd/system/multi-user.target.wants/ssh.service"
    ln -sf /dev/null "$r/etc/systemd/system/console-getty.service"
  fi
  : >"$h/prepared"
fi
mount -t proc vzlab-proc "$r/proc"
mount --bind "$r/proc/sys" "$r/proc/sys"
mount -o remount,bind,ro "$r/proc/sys"
mount -t sysfs -o ro,nosuid,nodev,noexec vzlab-sys "$r/sys"
if [ "$kind" = systemd ]; then mount -t cgroup2 -o nosuid,nodev,noexec vzlab-cgroup "$r/sys/fs/cgroup"; fi
mount -t tmpfs -o mode=0755,size=1m,nosuid vzlab-dev "$r/dev"
mknod -m 666 "$r/dev/null" c 1 3
mknod -m 666 "$r/dev/zero" c 1 5
mknod -m 666 "$r/dev/full" c 1 7
mknod -m 666 "$r/dev/random" c 1 8
mknod -m 666 "$r/dev/urandom" c 1 9
mknod -m 666 "$r/dev/tty" c 5 0
mkdir -m 755 "$r/dev/pts"
mkdir -m 1777 "$r/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 vzlab-devpts "$r/dev/pts"
ln -s pts/ptmx "$r/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev vzlab-shm "$r/dev/shm"
ln -s /proc/self/fd "$r/dev/fd"
ln -s /proc/self/fd/0 "$r/dev/stdin"
ln -s /proc/self/fd/1 "$r/dev/stdout"
ln -s /proc/self/fd/2 "$r/dev/stderr"
mknod -m 666 "$r/dev/console" c 1 3
mount -t tmpfs -o mode=0755,size=64m,nosuid,nodev vzlab-run "$r/run"
mkdir -p "$r/run/lock" "$r/run/sshd"
mount -t tmpfs -o mode=1777,size=8m,nosuid,nodev,noexec vzlab-lock "$r/run/lock"
mount -t tmpfs -o mode=1777,size=256m vzlab-tmp "$r/tmp"
hostname "$name"
cd "$r"
pivot_root . .
umount -l .
cd /
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
caps=--bounding-set=-sys_module,-sys_time
set -- setpriv "$caps" "$@"
if [ "$personality" != - ]; then set -- setarch "$personality" "$@"; fi
if [ "$kind" = systemd ]; then
  mount --make-rshared /
  exec env -i container=vz PATH="$path" "$@"
fi
exec env -i PATH="$path" SELINUX_INIT=YES TERM=dumb "$@"
`;
