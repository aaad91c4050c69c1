import { closeSync, openSync, readFileSync } from 'node:fs';
import { execa, type Options } from 'execa';
import { VzError } from '../../base/errors.ts';
import { isAlive, processStartTime, readStat } from '../../base/proc.ts';
import { sshAnswers } from './addresses.ts';
import { hostPaths, type LabPaths } from './paths.ts';
import type { LabHost } from './state.ts';

export const SYSVINIT = process.env.VZ_SYSVINIT ?? '/opt/vz-sysvinit/sbin/init';
export const BUSYBOX = process.env.VZ_BUSYBOX ?? '/bin/busybox';

/**
 * Runs as the first process of the host's new mount, UTS and pid namespaces, then becomes its init (pid 1).
 * Constant text: the host dir and name arrive only as "$1" and "$2". The host dir is bound on /mnt first so
 * later mounts (/run, /var, /tmp, /root) cannot hide it whatever it is below; /var is an overlay whose upper layer
 * lives in the fresh /run, with the host's own /var/lib/vz and /var/log bound into it; /usr/local is the host's own
 * too (a fresh host's is empty, see host-dir.ts; the others see the machine's through an overlay whose writes stay
 * in the host dir: newnode installs Node and a runch link there); /dev/console is /dev/null
 * (both inits tcsetattr it; a plain file would be overwritten); init starts in "/", not in the caller's directory,
 * which the fresh /tmp may hide (every process.cwd() below it then fails with ENOENT).
 */
const SETUP = `set -e
mount --bind "$1" /mnt
mount --bind /mnt/etc /etc
mount --bind /mnt/root /root
mount -t tmpfs -o mode=0755,size=64m vzlab-run /run
mkdir -p /run/sshd /run/lock /run/.vzlab/upper /run/.vzlab/work
mount -t overlay -o lowerdir=/var,upperdir=/run/.vzlab/upper,workdir=/run/.vzlab/work vzlab-var /var
mkdir -p /var/lib/vz
mount --bind /mnt/vz /var/lib/vz
mount --bind /mnt/log /var/log
mount -t tmpfs -o mode=1777,size=256m vzlab-tmp /tmp
if [ -d /mnt/home ]; then mount --bind /mnt/home /home; fi
if [ -d /mnt/usr-local ]; then mount --bind /mnt/usr-local /usr/local
else mkdir -p /mnt/usr-local-upper /mnt/usr-local-work && mount -t overlay -o lowerdir=/usr/local,upperdir=/mnt/usr-local-upper,workdir=/mnt/usr-local-work vzlab-usr-local /usr/local; fi
umount /mnt
mount --bind /dev/null /dev/console
hostname "$2"
shift 2
cd /
exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SELINUX_INIT=YES TERM=dumb "$@"
`;

/**
 * Runs before unshare: closes every inherited fd above 2 (Node passes on fds its own parent leaked to it), then
 * execs unshare. Why: a pipe held by a host that lives for hours keeps some caller waiting for EOF. bash, because
 * dash cannot name fds above 9.
 */
const CLOSE_FDS_THEN_EXEC = `for fd in /proc/self/fd/*; do n=\${fd##*/}; case $n in 0|1|2) ;; *) eval "exec $n>&-" 2>/dev/null || true ;; esac; done
exec "$@"
`;

function initArgv(host: LabHost): string[] {
  return host.init === 'busybox' ? [BUSYBOX, 'init'] : [SYSVINIT];
}

/** Start one host: unshare (detached, its own session) -> setup -> init -> sshd. Resolves once sshd answers. */
export async function launchHost(paths: LabPaths, host: LabHost, waitMs = 15_000): Promise<LabHost> {
  const dirs = hostPaths(paths, host.name);
  const log = openSync(dirs.console, 'a');
  let pid: number | undefined;
  try {
    // Plain fds, no pipes: the host outlives this process, and a pipe held by it would keep our caller waiting.
    // (execa types fds as small literals; any open fd number works.)
    const options: Options = { detached: true, cleanup: false, stdin: 'ignore', stdout: log as 3, stderr: log as 3, reject: false, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, extendEnv: false };
    const unshare = ['unshare', '--mount', '--uts', '--pid', '--fork', '--mount-proc', '--propagation', 'private', '--kill-child'];
    const argv = ['-c', CLOSE_FDS_THEN_EXEC, 'vz-lab-launch', ...unshare, '--', 'sh', '-c', SETUP, 'vz-lab-host', dirs.base, host.name, ...initArgv(host)];
    const child = execa('bash', argv, options);
    child.catch(() => undefined);
    pid = child.pid;
    if (!pid) throw new VzError('system', `host ${host.name}: unshare did not start`);
    // The host outlives this call: do not keep vzmaster's event loop waiting for it.
    (await child.nodeChildProcess).unref();
  } finally {
    closeSync(log);
  }
  const startTime = processStartTime(pid)!;
  const started: LabHost = { ...host, pid, startTime };
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if (!started.initPid) {
      const initPid = firstChild(pid);
      if (initPid) Object.assign(started, { initPid, initStartTime: processStartTime(initPid) });
    }
    if (!isAlive(pid, startTime)) break;
    if (started.initPid && (await sshAnswers(host.address, host.port, 300))) return started;
    await sleep(50);
  }
  await killHost(started);
  const tail = consoleTail(dirs.console);
  throw new VzError('system', `host ${host.name}: sshd did not answer on ${host.address}:${host.port}${tail ? `: ${tail}` : ''}`);
}

/** Stop one host: SIGKILL its init (the whole pid namespace dies with it) and unshare; wait until both are gone. */
export async function killHost(host: LabHost, waitMs = 10_000): Promise<void> {
  const targets: [number, number][] = [];
  if (host.initPid && host.initStartTime !== undefined) targets.push([host.initPid, host.initStartTime]);
  if (host.pid && host.startTime !== undefined) targets.push([host.pid, host.startTime]);
  for (const [pid, start] of targets) if (isAlive(pid, start)) signal(pid, 'SIGKILL');
  const deadline = Date.now() + waitMs;
  while (targets.some(([pid, start]) => isAlive(pid, start))) {
    if (Date.now() > deadline) throw new VzError('system', `host ${host.name}: its processes did not end after SIGKILL`);
    await sleep(20);
  }
  // The namespace's other processes (sshd and its sessions) die with its pid 1; wait for the port to close.
  while (await sshAnswers(host.address, host.port, 200)) {
    if (Date.now() > deadline) throw new VzError('system', `host ${host.name}: sshd still answers on ${host.address}:${host.port}`);
    await sleep(20);
  }
}

/** Is the host's init alive (the recorded pid with its recorded start time)? */
export function hostAlive(host: LabHost): boolean {
  return Boolean(host.initPid && host.initStartTime !== undefined && isAlive(host.initPid, host.initStartTime));
}

function firstChild(pid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return children.find((c) => readStat(c) !== undefined);
  } catch {
    return undefined;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function consoleTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-1)[0]?.slice(0, 200) ?? '';
  } catch {
    return '';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
