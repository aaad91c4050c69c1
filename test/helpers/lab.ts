import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Test } from 'tap';
import { busyboxBundle, execToFiles } from './fixtures.ts';

export const VZMASTER = resolve(import.meta.dirname, '../../dist/vzmaster.mjs');

/** Run the built vzmaster; never rejects (see execToFiles: files, not pipes; a clean env). */
export async function vzmaster(args: string[], options: { env?: Record<string, string>; timeout?: number; scratchDir?: string; stdinFile?: string } = {}) {
  const started = performance.now();
  // VZ_ANSIBLE passes through, so the master tests run on another ansible-core as a whole: VZ_ANSIBLE=... npx tap test/master
  const env = { ...(process.env.VZ_ANSIBLE ? { VZ_ANSIBLE: process.env.VZ_ANSIBLE } : {}), ...options.env };
  const result = await execToFiles(VZMASTER, args, { dir: options.scratchDir ?? tmpdir(), env, timeout: options.timeout ?? 90_000, stdinFile: options.stdinFile });
  return { ...result, ms: performance.now() - started };
}

export interface LabHostInfo {
  name: string;
  vendor: string;
  init: string;
  tree?: string;
  cgroup?: string;
  address: string;
  port: number;
  pid?: number;
  initPid?: number;
  /** A host as a vendor hands it over, for newnode (not in the inventory until then). */
  fresh?: boolean;
}

export interface TestLab {
  dir: string;
  env: Record<string, string>;
  inventory: string;
  /** vzmaster with VZ_LAB_DIR pointing at this lab. */
  run(args: string[], timeout?: number, stdinFile?: string): ReturnType<typeof vzmaster>;
  hosts(): LabHostInfo[];
  /** Every pid the lab recorded (unshare and init per host), read before teardown to check they are gone. */
  pids(): number[];
}

/**
 * Bring up a lab of `hosts` hosts (the last `busybox` of them under busybox init) in a fresh temp dir; it is
 * brought down and removed in t.teardown, even when the test fails. `inits` names every host's init instead (one
 * per host: sysvinit, busybox, systemd, openrc), `trees` every host's root (machine, bullseye, bookworm-i386...), `freshTree` the fresh hosts' root.
 */
export async function startLab(
  t: { teardown(fn: () => unknown): void },
  options: { hosts?: number; busybox?: number; fresh?: number; dir?: string; env?: Record<string, string>; ansible?: string; inits?: string[]; trees?: string[]; freshTree?: string } = {},
): Promise<TestLab> {
  const parent = mkdtempSync(join(tmpdir(), 'vz-lab-'));
  const dir = options.dir ? join(parent, options.dir) : join(parent, 'lab');
  // ansible: the `ansible` binary every vzmaster call of this lab uses (VZ_ANSIBLE; ansible-inventory beside it).
  const env = { ...options.env, ...(options.ansible ? { VZ_ANSIBLE: options.ansible } : {}), VZ_LAB_DIR: dir };
  const lab: TestLab = {
    dir,
    env,
    inventory: join(dir, 'inventory.yml'),
    run: (args, timeout, stdinFile) => vzmaster(args, { env, timeout, scratchDir: parent, stdinFile }),
    hosts: () => (JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as { hosts: LabHostInfo[] }).hosts,
    pids: () => lab.hosts().flatMap((h) => [h.pid, h.initPid].filter((p): p is number => typeof p === 'number')),
  };
  t.teardown(async () => {
    await vzmaster(['lab', 'down', '--dir', dir], { scratchDir: parent });
    rmSync(parent, { recursive: true, force: true });
  });
  const count = options.hosts ?? options.inits?.length ?? options.trees?.length ?? 3;
  const initFlags = options.inits ? ['--inits', options.inits.join(',')] : ['--busybox', String(options.busybox ?? 1)];
  const treeFlags = [...(options.trees ? ['--trees', options.trees.join(',')] : []), ...(options.freshTree ? ['--fresh-tree', options.freshTree] : [])];
  const up = await lab.run(['lab', 'up', '--dir', dir, '--hosts', String(count), ...initFlags, ...treeFlags, '--fresh', String(options.fresh ?? 0)], 120_000);
  if (up.exitCode !== 0) throw new Error(`lab up failed: ${up.stderr}`);
  return lab;
}

/** Processes alive (not zombies) among pids. */
export function alivePids(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  });
}

/** Processes whose command line mentions text (e.g. the lab dir): none may survive `lab down`. */
export function processesMentioning(text: string): number[] {
  const pids = readFileSyncSafeList();
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text) && alivePids([pid]).length === 1;
    } catch {
      return false;
    }
  });
}

function readFileSyncSafeList(): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
}

/** Is anything listening on address:port (as the kernel sees it, all namespaces share the network here)? */
export function listening(address: string, port: number): boolean {
  const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');
  const [a, b, c, d] = address.split('.').map(Number);
  const local = `${hex(d, 2)}${hex(c, 2)}${hex(b, 2)}${hex(a, 2)}:${hex(port, 4)}`;
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .some((line) => {
      const fields = line.trim().split(/\s+/);
      return fields[1] === local && fields[3] === '0A';
    });
}

/**
 * A command on a lab host as root, through the lab's own key (the host's console, for checks from inside). `user`:
 * log in as that user and run the command through sudo (a host newnode made: root takes no key there, vz does).
 */
export function sshRun(lab: TestLab, host: LabHostInfo, command: string, user = 'root') {
  const remote = user === 'root' ? command : `sudo sh -c ${shellQuote(command)}`;
  return execToFiles('ssh', ['-i', join(lab.dir, 'ssh', 'id_ed25519'), '-p', String(host.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=5', `${user}@${host.address}`, remote], { dir: join(lab.dir, '..'), timeout: 30_000 });
}

/** One POSIX shell word holding text exactly (for the remote shell ssh hands a command to). */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** Mount points anywhere on the machine (every process's mount namespace) that lie in the lab dir. */
export function mountsInLab(dir: string): string[] {
  const found = new Set<string>();
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      for (const line of readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n')) if (line.includes(dir)) found.add(line.split(' ')[4]);
    } catch {
      // gone meanwhile
    }
  }
  return [...found];
}

/**
 * `lab down`, then the checks that it left nothing: no recorded pid, no process naming the lab dir, no mount of it in
 * any mount namespace, no cgroup directory, nothing listening on the hosts' addresses.
 */
export async function downLeavesNothing(t: Test, lab: TestLab): Promise<void> {
  const hosts = lab.hosts();
  const pids = lab.pids();
  const cgroups = hosts.flatMap((h) => (h.cgroup ? [h.cgroup] : []));
  const down = await lab.run(['lab', 'down']);
  t.equal(down.exitCode, 0, down.stderr);
  t.same(alivePids(pids), [], 'every recorded pid ended');
  t.same(processesMentioning(lab.dir), [], 'no process mentions the lab dir');
  t.same(mountsInLab(lab.dir), [], 'no mount of the lab anywhere on the machine');
  t.same(cgroups.filter((c) => existsSync(c)), [], 'no cgroup directory left');
  for (const h of hosts) t.notOk(listening(h.address, h.port), `${h.name}: nothing listens`);
}

/** A packed image of a busybox bundle running `sh -c SCRIPT` as app NAME (vzimage pack). */
export function busyboxImage(dir: string, name: string, script: string): string {
  const bundle = busyboxBundle(join(dir, name), { args: ['sh', '-c', script], env: ['PATH=/bin'] });
  const out = join(dir, `images-${name}`);
  execFileSync(resolve(import.meta.dirname, '../../dist/vzimage.cjs'), ['pack', bundle, '-o', out, '--app', name], { stdio: 'ignore' });
  return join(out, readdirSync(out).find((f) => f.endsWith('.tar.gz'))!);
}
