import { closeSync, openSync, readFileSync } from 'node:fs';
import { execa, type Options } from 'execa';
import { VzError } from '../../base/errors.ts';
import { isAlive, processStartTime, readStat } from '../../base/proc.ts';
import { sshAnswers } from './addresses.ts';
import { cgroupPids, makeHostCgroup, moveToOwnCgroup, removeHostCgroup } from './cgroup.ts';
import { hostPaths, type LabPaths } from './paths.ts';
import { lowerRoot, ownRoot, personality, ROOT_SETUP } from './root-host.ts';
import type { LabHost } from './state.ts';

export const SYSVINIT = process.env.VZ_SYSVINIT ?? '/opt/vz-sysvinit/sbin/init';
export const BUSYBOX = process.env.VZ_BUSYBOX ?? '/bin/busybox';

/**
 * Runs as the first process of the host's new mount, UTS and pid namespaces, then becomes its init (pid 1).
 * Constant text: the host dir and name arrive only as "$1" and "$2". The host dir is bound on /mnt first so
 * later mounts (/run, /var, /tmp, /root) cannot hide it whatever it is below; /var is an overlay whose upper layer
 * lives in the fresh /run, with the host's own /var/lib/vz and /var/log bound into it; /usr/local is the host's own
 * too (a fresh host's is empty, see host-dir.ts; the others see the machine's through an overlay whose writes stay
 * in the host dir: newnode installs Node and a runch link there); /dev/console is a null device
 * node of the host's own, in its /run (both inits tcsetattr it; a plain file would be overwritten; the machine's
 * /dev/null bound there would take whatever chown/chmod the host's console gets); init starts in "/", not in the caller's directory,
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
mknod -m 666 /run/.vzlab/console c 1 3
mount --bind /run/.vzlab/console /dev/console
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
cgroup=$1
shift
if [ "$cgroup" != - ]; then echo $$ >"$cgroup/cgroup.procs"; fi
exec "$@"
`;

/** Init's argv as the host sees it (an own-root host resolves it in its own root, after pivot_root). */
function initArgv(host: LabHost): string[] {
  if (host.init === 'systemd') return ['/lib/systemd/systemd'];
  if (host.init === 'busybox' || host.init === 'openrc') return [BUSYBOX, 'init'];
  return [host.tree ? '/sbin/init' : SYSVINIT];
}

/**
 * unshare, then the setup that becomes init. An own-root host (root-host.ts) also gets its own IPC namespace and,
 * for systemd, its own cgroup namespace rooted at the subtree the prologue moved it into.
 */
function hostArgv(paths: LabPaths, host: LabHost): string[] {
  const common = ['unshare', '--mount', '--uts', '--pid', '--fork', '--propagation', 'private', '--kill-child'];
  if (!ownRoot(host)) {
    const dirs = hostPaths(paths, host.name);
    return ['-', ...common, '--mount-proc', '--', 'sh', '-c', SETUP, 'vz-lab-host', dirs.base, host.name, ...initArgv(host)];
  }
  const dirs = hostPaths(paths, host.name, true);
  const cgroup = host.init === 'systemd' ? ['--cgroup'] : [];
  return [host.cgroup ?? '-', ...common, '--ipc', ...cgroup, '--', 'sh', '-c', ROOT_SETUP, 'vz-lab-host', dirs.base, host.name, lowerRoot(host), host.init, personality(host), ...initArgv(host)];
}

/** Start one host: unshare (detached, its own session) -> setup -> init -> sshd. Resolves once sshd answers. */
export async function launchHost(paths: LabPaths, host: LabHost, waitMs = 15_000): Promise<LabHost> {
  const dirs = hostPaths(paths, host.name);
  if (host.cgroup) makeHostCgroup(host.cgroup);
  const log = openSync(dirs.console, 'a');
  let pid: number | undefined;
  try {
    // Plain fds, no pipes: the host outlives this process, and a pipe held by it would keep our caller waiting.
    // (execa types fds as small literals; any open fd number works.)
    const options: Options = { detached: true, cleanup: false, stdin: 'ignore', stdout: log as 3, stderr: log as 3, reject: false, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, extendEnv: false };
    const argv = ['-c', CLOSE_FDS_THEN_EXEC, 'vz-lab-launch', ...hostArgv(paths, host)];
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
      // unshare made the host's cgroup namespace before it forked init: it leaves the host's subtree now.
      if (initPid && host.cgroup) moveToOwnCgroup(pid);
    }
    if (!isAlive(pid, startTime)) break;
    if (started.initPid && (await sshAnswers(host.address, host.port, 300))) {
      if (host.init !== 'systemd') return started;
      const booted = await systemdBooted(started, Math.max(deadline - Date.now(), 5_000));
      if (booted === 'running') return started;
      await killHost(started);
      throw new VzError('system', `host ${host.name}: systemd is ${booted}, not running`);
    }
    await sleep(50);
  }
  await killHost(started);
  const tail = consoleTail(dirs.console);
  throw new VzError('system', `host ${host.name}: sshd did not answer on ${host.address}:${host.port}${tail ? `: ${tail}` : ''}`);
}

/** Run a command in every namespace of a host (systemctl on a systemd host), as the lab's own control channel. */
export function inHost(host: LabHost, argv: string[], timeoutMs = 30_000) {
  return execa('nsenter', ['-t', String(host.initPid), '-m', '-u', '-i', '-p', ...(host.cgroup ? ['-C'] : []), '--', ...argv], { stdin: 'ignore', reject: false, timeout: timeoutMs, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, extendEnv: false });
}

/**
 * Wait for systemd's boot to finish: "running", or the state plus its failed units (what a user needs to act).
 */
async function systemdBooted(host: LabHost, timeoutMs: number): Promise<string> {
  const state = await inHost(host, ['systemctl', 'is-system-running', '--wait'], timeoutMs);
  const word = state.stdout.trim() || `unknown (${state.stderr.trim().slice(0, 200)})`;
  if (word === 'running') return word;
  const failed = await inHost(host, ['systemctl', '--failed', '--no-legend', '--plain'], 10_000);
  const units = failed.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
  return units.length ? `${word} (failed: ${units.join(', ')})` : word;
}

/** SIGRTMIN+3 as glibc numbers it (kernel SIGRTMIN is 32, glibc keeps two): systemd's "halt now" in a container. */
const SIGRTMIN_3 = 37;

/**
 * Stop one host and wait until it is gone: SIGKILL its init (the whole pid namespace dies with it) and unshare. A
 * systemd host first gets SIGRTMIN+3, the container manager's stop request, and a few seconds to halt (a frozen one
 * does not), then SIGKILL; its cgroup subtree is then removed depth-first.
 */
export async function killHost(host: LabHost, waitMs = 10_000): Promise<void> {
  const targets: [number, number][] = [];
  if (host.initPid && host.initStartTime !== undefined) targets.push([host.initPid, host.initStartTime]);
  if (host.pid && host.startTime !== undefined) targets.push([host.pid, host.startTime]);
  const gone = () => !targets.some(([pid, start]) => isAlive(pid, start));
  // A frozen host cannot halt: straight to SIGKILL.
  if (host.init === 'systemd' && hostAlive(host) && readStat(host.initPid!)?.state !== 'T') {
    signal(host.initPid!, SIGRTMIN_3);
    const graceful = Date.now() + 5_000;
    while (!gone() && Date.now() < graceful) await sleep(20);
  }
  for (const [pid, start] of targets) if (isAlive(pid, start)) signal(pid, 'SIGKILL');
  const deadline = Date.now() + waitMs;
  while (!gone()) {
    if (Date.now() > deadline) throw new VzError('system', `host ${host.name}: its processes did not end after SIGKILL`);
    await sleep(20);
  }
  if (host.cgroup) await emptyCgroup(host, deadline);
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

/** Whatever is left in the host's cgroup (nothing, normally: the pid namespace died) is killed, then the dirs go. */
async function emptyCgroup(host: LabHost, deadline: number): Promise<void> {
  for (;;) {
    const left = cgroupPids(host.cgroup!).filter((pid) => readStat(pid) !== undefined && readStat(pid)?.state !== 'Z');
    if (left.length === 0) break;
    if (Date.now() > deadline) throw new VzError('system', `host ${host.name}: processes ${left.join(', ')} stay in ${host.cgroup}`);
    for (const pid of left) signal(pid, 'SIGKILL');
    await sleep(20);
  }
  // A zombie still counts as a member until reaped: retry the removal a little.
  for (;;) {
    try {
      removeHostCgroup(host.cgroup!);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

function signal(pid: number, name: NodeJS.Signals | number): void {
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
