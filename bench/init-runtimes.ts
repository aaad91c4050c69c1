// bench/init-runtimes: what each container runtime leaves resident in init mode (issue 14), beside bench/init.ts.
//   Under a real sysvinit, N containers per runtime through `runch init apply` (each line runs the compiled
//   launcher): runch's launcher execs the program (nothing of vz stays), runc's and crun's exec the runtime in the
//   foreground (one runtime process per container stays, its parent). Rows: the runtime processes' RSS and PSS,
//   and the respawn after kill -9 of the program.
// Run as root after `npm run build`: `node bench/init-runtimes.ts` (it enters a private mount namespace itself).
// N=containers (default 5). crun 1.8 refuses a hybrid cgroup machine (v1 controllers plus a cgroup2 tree with a
// controller): there the bench hides the cgroup2 mount in its own mount namespace for the crun row, and says so.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '../base/host-contract.ts';
import { configForRuntime } from '../runch/oci/runtime-config.ts';
import { busyboxBundle, scratch } from '../test/helpers/fixtures.ts';
import { startInit, waitFor } from '../test/helpers/init-ns.ts';
import { pidsExactly, removeRuntimeCgroups } from '../test/helpers/runtime-cgroups.ts';
import { enterPrivateMountNamespace } from './private-ns.mjs';

enterPrivateMountNamespace();

const N = Number(process.env.N ?? 5);
const cleanups: (() => unknown)[] = [];
const t = { teardown: (fn: () => unknown) => cleanups.push(fn) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const field = (pid: number, file: string, name: string) => {
  try {
    return Number(new RegExp(`${name}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
};
const comm = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

async function runtimeRow(runtime: Runtime, base: number) {
  const ns = await startInit(t, 'sysvinit', 'id:2:initdefault:\n');
  const dir = scratch(t, `vz-bench-${runtime}-`);
  const list = Array.from({ length: N }, (_, i) => {
    const bundle = busyboxBundle(join(dir, `b${i}`), { args: ['sh', '-c', `exec sleep ${base + i}`] });
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(configForRuntime(config, runtime, { cgroupsPath: `vz/bench/${runtime}${i}` })));
    return bundle;
  });
  spawnSync('mkdir', ['-p', join(ns.etc, 'vz')]);
  writeFileSync(join(ns.etc, 'vz/table'), list.map((b, i) => `${runtime}${i}:respawn:${b}\n`).join(''));
  const applied = await ns.runch(['init', 'apply']);
  if (applied.exitCode !== 0) throw new Error(applied.stderr);
  await waitFor(() => list.every((_, i) => pidsExactly(`sleep ${base + i}`).length === 1), 30_000);
  await sleep(1_000);
  // vz's resident share: node/runch processes, and the runtime's own foreground processes (not the programs).
  const resident = ns.pidsOf('').filter((p) => ['runc', 'crun', 'node'].includes(comm(p)) || /runch/.test(comm(p)));
  const rss = resident.reduce((sum, p) => sum + field(p, 'status', 'VmRSS'), 0);
  const pss = resident.reduce((sum, p) => sum + field(p, 'smaps_rollup', 'Pss'), 0);
  const latencies: number[] = [];
  for (let i = 0; i < N; i++) {
    const [old] = pidsExactly(`sleep ${base + i}`);
    const start = performance.now();
    process.kill(old, 'SIGKILL');
    await waitFor(() => pidsExactly(`sleep ${base + i}`).some((p) => p !== old), 20_000, 1);
    latencies.push(performance.now() - start);
  }
  await ns.stop();
  return { processes: resident.length, rssKiB: rss, pssKiB: pss, respawnMs: median(latencies), maxMs: Math.max(...latencies) };
}

/** crun refuses a hybrid machine: hide its cgroup2 tree in this (private) mount namespace. Returns what it did. */
function crunNeeds(): string {
  const probe = spawnSync('crun', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'not installed';
  const cgroup2 = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' - ')[1]?.startsWith('cgroup2 '))?.split(' ')[4];
  const hybrid = cgroup2 !== undefined && cgroup2 !== '/sys/fs/cgroup' && readFileSync(join(cgroup2, 'cgroup.controllers'), 'utf8').trim() !== '';
  if (!hybrid) return '';
  spawnSync('umount', [cgroup2]);
  return `hybrid cgroups: ${cgroup2} hidden from crun in the bench's mount namespace`;
}

try {
  const rows: [string, Awaited<ReturnType<typeof runtimeRow>>][] = [];
  rows.push(['runch (launcher execs the chroot)', await runtimeRow('runch', 5000)]);
  rows.push(['runc 1.1.5 (runc run in the foreground)', await runtimeRow('runc', 6000)]);
  removeRuntimeCgroups(['bench']); // before crunNeeds may hide a cgroup2 tree runc made directories in
  const crun = crunNeeds();
  if (crun !== 'not installed') rows.push([`crun 1.8.1 (crun run in the foreground)${crun ? `; ${crun}` : ''}`, await runtimeRow('crun', 7000)]);
  console.log(`${N} containers (busybox sleep) per runtime under sysvinit in init mode, each killed once with -9\n`);
  console.log('| runtime | resident vz/runtime processes | RSS total | RSS per container | PSS per container | respawn median | respawn max |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, r] of rows)
    console.log(`| ${name} | ${r.processes} | ${(r.rssKiB / 1024).toFixed(1)} MiB | ${(r.rssKiB / 1024 / N).toFixed(2)} MiB | ${(r.pssKiB / 1024 / N).toFixed(2)} MiB | ${r.respawnMs.toFixed(1)} ms | ${r.maxMs.toFixed(1)} ms |`);
} finally {
  for (const fn of cleanups.reverse()) await fn();
  removeRuntimeCgroups(['bench']);
}
