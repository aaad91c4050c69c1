// bench/init: what init mode costs (issue 4), side by side with supervisor mode.
//   RSS of vz per container: init mode (every process of vz in the namespace, summed: goal 0) against
//     `runch supervise` with the same containers;
//   respawn latency: kill -9 of the container -> the new program runs, under sysvinit and busybox init (init mode:
//     init spawns runch, runch execs the container) and under `runch supervise`; each container killed once, so
//     every death is a first one (backoff 0).
// Run as root after `npm run build`: `node bench/init.ts` (Node strips the types; it enters a private mount
// namespace itself). N=containers (default 5).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxBundle, RUNCH, scratch } from '../test/helpers/fixtures.ts';
import { type InitKind, startInit, waitFor } from '../test/helpers/init-ns.ts';
import { cmdline, pidsExactly } from '../test/helpers/runtime-cgroups.ts';
import { enterPrivateMountNamespace } from './private-ns.mjs';

enterPrivateMountNamespace();

const N = Number(process.env.N ?? 5);
const cleanups: (() => unknown)[] = [];
const t = { teardown: (fn: () => unknown) => cleanups.push(fn) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rssKiB = (pid: number) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0; // gone between the scan and the read (a crash loop's processes are short)
  }
};

/** Node processes of vz (runch) running now: a respawn through a launcher starts none (issue 12). */
const NODE_SEEN = new Set<number>();
/** Where to look: the init namespace's processes only (other work on the machine runs node too). */
let scope: () => number[] = () => [];
const noteNodes = () => {
  for (const p of scope()) if (/\bnode\b.*runch|runch\.cjs/.test(cmdline(p))) NODE_SEEN.add(p);
};
const pssKiB = (pid: number) => {
  try {
    return Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
};

/** kill -9 the program, then poll /proc until its successor runs: milliseconds. */
async function respawnMs(command: string): Promise<number> {
  const [old] = pidsExactly(command);
  const start = performance.now();
  process.kill(old, 'SIGKILL');
  for (;;) {
    const next = pidsExactly(command).find((p) => p !== old);
    noteNodes();
    if (next) return performance.now() - start;
    if (performance.now() - start > 20_000) throw new Error(`${command} was not respawned within 20 s`);
    await sleep(1);
  }
}

/** Each mode's programs sleep for their own numbers, so one mode's processes are never taken for another's. */
function bundles(dir: string, base: number): string[] {
  return Array.from({ length: N }, (_, i) => busyboxBundle(join(dir, `b${i}`), { args: ['sh', '-c', `exec sleep ${base + i}`] }));
}

async function initMode(kind: InitKind, base: number) {
  const ns = await startInit(t, kind, kind === 'sysvinit' ? 'id:2:initdefault:\n' : '::ctrlaltdel:/bin/true\n');
  const list = bundles(scratch(t, 'vz-bench-init-'), base);
  spawnSync('mkdir', ['-p', join(ns.etc, 'vz')]);
  writeFileSync(join(ns.etc, 'vz/table'), list.map((b, i) => `c${i}:respawn:${b}\n`).join(''));
  const applied = await ns.runch(['init', 'apply']);
  if (applied.exitCode !== 0) throw new Error(applied.stderr);
  await waitFor(() => list.every((_, i) => ns.pidsExactly(`sleep ${base + i}`).length === 1), 30_000);
  await sleep(1_000);
  // Every process of the namespace that is node (runch) is vz's cost; the containers' own programs are not.
  const vz = ns.pidsOf('').filter((p) => /runch|node/.test(cmdline(p)));
  const rss = vz.reduce((sum, p) => sum + rssKiB(p), 0);
  const latencies = [];
  NODE_SEEN.clear();
  scope = () => ns.pidsOf('');
  for (let i = 0; i < N; i++) latencies.push(await respawnMs(`sleep ${base + i}`));
  const nodes = NODE_SEEN.size;
  await ns.stop();
  return { vzProcesses: vz.length, rssKiB: rss, respawnMs: median(latencies), max: Math.max(...latencies), nodes };
}

/**
 * N containers that exit at once, for CRASH_S seconds (default 60) under sysvinit: the peak of the summed RSS of
 * vz's processes (launchers waiting out their backoff, their sleep, any runch) sampled every 20 ms.
 */
async function crashLoop(kind: InitKind) {
  const ns = await startInit(t, kind, kind === 'sysvinit' ? 'id:2:initdefault:\n' : '::ctrlaltdel:/bin/true\n');
  const dir = scratch(t, 'vz-bench-crash-');
  const list = Array.from({ length: N }, (_, i) => busyboxBundle(join(dir, `k${i}`), { args: ['sh', '-c', 'exit 1'] }));
  spawnSync('mkdir', ['-p', join(ns.etc, 'vz')]);
  writeFileSync(join(ns.etc, 'vz/table'), list.map((b, i) => `k${i}:respawn:${b}\n`).join(''));
  const applied = await ns.runch(['init', 'apply']);
  if (applied.exitCode !== 0) throw new Error(applied.stderr);
  const isVz = (c: string) => /\/launch\/|runch|\bnode\b|^\/usr\/bin\/sleep \d+\.\d{3}$/.test(c);
  let peak = 0;
  let peakPss = 0;
  NODE_SEEN.clear();
  scope = () => ns.pidsOf('');
  const until = performance.now() + Number(process.env.CRASH_S ?? 60) * 1000;
  while (performance.now() < until) {
    const vz = ns.pidsOf('').filter((p) => isVz(cmdline(p)));
    peak = Math.max(peak, vz.reduce((total, p) => total + rssKiB(p), 0));
    peakPss = Math.max(peakPss, vz.reduce((total, p) => total + pssKiB(p), 0));
    noteNodes();
    await sleep(20);
  }
  const nodes = NODE_SEEN.size;
  await ns.stop();
  return { peakKiB: peak, peakPssKiB: peakPss, nodes };
}

async function supervisorMode(base: number) {
  const dir = scratch(t, 'vz-bench-sup-');
  const list = bundles(dir, base);
  const table = join(dir, 'table');
  writeFileSync(table, list.map((b, i) => `s${i}:respawn:${b}\n`).join(''));
  const child = spawn(process.execPath, [RUNCH, '--root', join(dir, 'root'), 'supervise', '--table', table, '--state-dir', join(dir, 'state'), '--log-dir', join(dir, 'logs')], {
    stdio: 'ignore',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  cleanups.push(async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  });
  await waitFor(() => list.every((_, i) => pidsExactly(`sleep ${base + i}`).length === 1), 30_000);
  const samples = [];
  for (let i = 0; i < 5; i++) {
    await sleep(400);
    samples.push(rssKiB(child.pid!));
  }
  const latencies = [];
  for (let i = 0; i < N; i++) latencies.push(await respawnMs(`sleep ${base + i}`));
  return { vzProcesses: 1, rssKiB: median(samples), respawnMs: median(latencies), max: Math.max(...latencies) };
}

function idleNodeRss(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  return sleep(1_000).then(() => {
    const rss = rssKiB(child.pid!);
    child.kill('SIGKILL');
    return rss;
  });
}

try {
  const rows: [string, Awaited<ReturnType<typeof supervisorMode>>][] = [];
  rows.push(['init mode, sysvinit 3.06', await initMode('sysvinit', 2000)]);
  rows.push(['init mode, busybox init 1.35', await initMode('busybox', 3000)]);
  rows.push(['supervisor mode (runch supervise)', await supervisorMode(4000)]);
  const crash = await crashLoop('sysvinit');
  const idle = await idleNodeRss();
  console.log(`${N} containers (busybox sleep), each killed once with -9; node ${process.version}; idle node RSS ${(idle / 1024).toFixed(1)} MiB\n`);
  console.log('| mode | vz processes | vz RSS total | vz RSS per container | respawn median | respawn max |');
  console.log('|---|---|---|---|---|---|');
  for (const [name, r] of rows)
    console.log(`| ${name} | ${r.vzProcesses} | ${(r.rssKiB / 1024).toFixed(1)} MiB | ${(r.rssKiB / 1024 / N).toFixed(2)} MiB | ${r.respawnMs.toFixed(1)} ms | ${r.max.toFixed(1)} ms |${'nodes' in r ? ` ${r.nodes} Node processes in ${N} respawns` : ''}`);
  console.log(`\ncrash loop of ${N} containers for ${process.env.CRASH_S ?? 60} s under sysvinit: vz's peak RSS ${(crash.peakKiB / 1024).toFixed(2)} MiB (PSS ${(crash.peakPssKiB / 1024).toFixed(2)} MiB), ${crash.nodes} Node processes`);
} finally {
  for (const fn of cleanups.reverse()) await fn();
}
