// A real init as PID 1 of a private PID + mount namespace, with its own copy of /etc and a fresh /run; never the
// machine's init or /etc. Its console is a pty (both inits set terminal modes on it) recorded to a file.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listPids, readStat } from '../../base/proc.ts';
import { execToFiles, RUNCH, scratch } from './fixtures.ts';

export const SYSVINIT = '/opt/vz-sysvinit/sbin/init';
export const TELINIT = '/opt/vz-sysvinit/sbin/telinit';
export type InitKind = 'sysvinit' | 'busybox';

// Runs inside the new namespaces: private /etc, /run and /var/log (vz's default log dir), the pty as /dev/console, then init with a clean env.
const BOOT = `etc=$1; shift
mount --bind "$etc" /etc || exit 1
mount -t tmpfs -o mode=0755 tmpfs /run || exit 1
mount -t tmpfs -o mode=0755 tmpfs /var/log || exit 1
mount --bind "$(tty)" /dev/console || exit 1
exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SELINUX_INIT=YES "$@"`;

const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface InitNs {
  kind: InitKind;
  /** PID 1 of the namespace, as this (the host's) pid namespace sees it. */
  pid: number;
  /** The private /etc, seen from the host. */
  etc: string;
  dir: string;
  console(): string;
  /** A file as the namespace sees it (its /run, /var/log are its own). */
  path(inside: string): string;
  /** A command inside the namespace (pid + mount), output through files. */
  exec(argv: string[], options?: { timeout?: number }): Promise<{ exitCode?: number; stdout: string; stderr: string }>;
  runch(args: string[], options?: { timeout?: number }): Promise<{ exitCode?: number; stdout: string; stderr: string }>;
  /** Host pids of the namespace's processes whose command line contains `needle` (zombies excluded). */
  pidsOf(needle: string): number[];
  /** Same, for a command line equal to `command` (not a launcher still holding it among its arguments). */
  pidsExactly(command: string): number[];
  reload(): Promise<void>;
  stop(): Promise<void>;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

function nsOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

function descendsFrom(pid: number, ancestor: number): boolean {
  for (let p = pid, i = 0; p > 1 && i < 10; i++) {
    if (p === ancestor) return true;
    p = readStat(p)?.ppid ?? 0;
  }
  return false;
}

export async function startInit(t: { teardown(fn: () => unknown): void }, kind: InitKind, inittab: string): Promise<InitNs> {
  const dir = scratch(t, `vz-init-${kind}-`);
  const etc = join(dir, 'etc');
  cpSync('/etc', etc, { recursive: true, verbatimSymlinks: true });
  rmSync(join(etc, 'inittab.d'), { recursive: true, force: true });
  if (kind === 'sysvinit') mkdirSync(join(etc, 'inittab.d'));
  writeFileSync(join(etc, 'inittab'), inittab);
  writeFileSync(join(dir, 'boot.sh'), BOOT);
  const consoleLog = join(dir, 'console.log');
  const initArgv = kind === 'sysvinit' ? [SYSVINIT] : ['/bin/busybox', 'init'];
  const inner = ['unshare', '--mount', '--pid', '--fork', '--mount-proc', '--propagation', 'private', '--kill-child', '--', 'sh', join(dir, 'boot.sh'), etc, ...initArgv];
  // script(1) gives the namespace a pty for its console; it only takes a command string, hence the quoting.
  const launcher = spawn('script', ['-qfec', inner.map(quote).join(' '), consoleLog], { stdio: 'ignore', detached: true, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  const ownNs = nsOf(process.pid);
  let pid = 0;
  for (let i = 0; i < 500 && !pid; i++) {
    await sleep(10);
    // PID 1 of the new namespace: a child of unshare, in another pid namespace, already exec'd into init.
    for (const candidate of listPids()) {
      const stat = readStat(candidate);
      if (!stat || !cmdline(stat.ppid).startsWith('unshare') || !descendsFrom(stat.ppid, launcher.pid!)) continue;
      if (nsOf(candidate) !== ownNs && !cmdline(candidate).startsWith('sh ')) pid = candidate;
    }
  }
  if (!pid) {
    launcher.kill('SIGKILL');
    throw new Error(`${kind} did not start as PID 1 of a namespace; console: ${readFileSync(consoleLog, 'utf8')}`);
  }
  const initNs = nsOf(pid);
  const exec: InitNs['exec'] = async (argv, options = {}) => {
    const result = await execToFiles('nsenter', ['-t', String(pid), '-m', '-p', '--', ...argv], {
      dir,
      timeout: options.timeout ?? 60_000,
      env: { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' },
    });
    return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
  };
  const ns: InitNs = {
    kind,
    pid,
    etc,
    dir,
    console: () => readFileSync(consoleLog, 'utf8'),
    path: (inside) => `/proc/${pid}/root${inside}`,
    exec,
    runch: (args, options) => exec([process.execPath, RUNCH, ...args], options),
    pidsOf: (needle) =>
      listPids().filter((p) => p !== pid && nsOf(p) === initNs && readStat(p)?.state !== 'Z' && cmdline(p).includes(needle)),
    pidsExactly: (command) =>
      listPids().filter((p) => p !== pid && nsOf(p) === initNs && readStat(p)?.state !== 'Z' && cmdline(p) === command),
    async reload() {
      if (kind === 'sysvinit') await exec([TELINIT, 'q']);
      else process.kill(pid, 'SIGHUP');
    },
    async stop() {
      try {
        process.kill(pid, 'SIGKILL'); // the kernel kills every process of the namespace with its PID 1
      } catch {
        // already gone
      }
      for (let i = 0; i < 300 && launcher.exitCode === null && launcher.signalCode === null; i++) await sleep(10);
      if (launcher.exitCode === null && launcher.signalCode === null) launcher.kill('SIGKILL');
    },
  };
  t.teardown(() => ns.stop());
  return ns;
}

/** Poll until fn returns a truthy value (or the time is up: then the last value, for the assertion to show). */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs: number, stepMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await fn();
  while (!value && Date.now() < deadline) {
    await sleep(stepMs);
    value = await fn();
  }
  return value;
}

/** An /etc/inittab of odd but valid lines for each init: comments, a long line, unusual actions, no final newline. */
export function oddInittab(kind: InitKind): string {
  // sysvinit reads 255 bytes per line (the rest would be read as another line): long, but within that.
  const long = `# ${'a long comment line, kept byte for byte; '.repeat(kind === 'sysvinit' ? 5 : 12)}`;
  if (kind === 'sysvinit')
    // (sysvinit reads a line starting with blanks as an entry, so no indented comment here.)
    return ['# odd but valid: comments: with colons', 'id:2:initdefault:', '', '#compact comment', long, 'pf::powerwait:/bin/true   ', 'kb::kbrequest:/bin/echo  two  spaces', 'ca:12345:ctrlaltdel:/bin/true'].join('\n');
  return ['# odd but valid: comments: with colons', '', '   # indented comment', long, '::ctrlaltdel:/bin/true', '::shutdown:/bin/true', '::restart:/bin/busybox init'].join('\n');
}
