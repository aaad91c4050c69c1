#!/usr/bin/env node
// bench/supervisor: the supervisor's restart reaction and memory (issue 3), side by side in one run.
//   restart reaction: a container exits -> its next run is started (backoff 0), median of RUNS exits, from the
//     supervisor's own event times (exit seen -> program released);
//   RSS of `runch supervise` idle and with 1, 10, 100 sleep containers, against an idle Node process;
//   pm2 supervising the same sleep processes, when `npm install pm2` works within 3 minutes (own PM2_HOME; PM2=0 skips it).
// Run as root: `node bench/supervisor.mjs` after `npm run build` (it enters a private mount namespace itself); RUNS=30 and
// SIZES=1,10,100 by default. It prints its table and exits.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { enterPrivateMountNamespace } from './private-ns.mjs';

enterPrivateMountNamespace();

const RUNS = Number(process.env.RUNS ?? 30);
const SIZES = (process.env.SIZES ?? '1,10,100').split(',').map(Number);
const runch = resolve(import.meta.dirname, '../dist/runch.cjs');
const dir = mkdtempSync(join(tmpdir(), 'vz-bench-sup-'));
const children = [];
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
async function settledRss(pid) {
  const samples = [];
  for (let i = 0; i < 5; i++) {
    await sleep(400);
    samples.push(rssKiB(pid));
  }
  return median(samples);
}

function bundle(name, args) {
  const b = join(dir, 'bundles', name);
  mkdirSync(join(b, 'rootfs/bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(b, 'rootfs/bin/busybox'));
  for (const applet of ['sh', 'sleep']) symlinkSync('busybox', join(b, 'rootfs/bin', applet));
  writeFileSync(join(b, 'config.json'), JSON.stringify({ ociVersion: '1.2.0', root: { path: 'rootfs' }, process: { user: { uid: 0, gid: 0 }, args, env: ['PATH=/bin'], cwd: '/' } }));
  return b;
}

/** A supervisor on its own table/state/logs; returns its pid and a way to wait on its events. */
function supervise(name, lines, policy) {
  const base = join(dir, name);
  mkdirSync(base, { recursive: true });
  writeFileSync(join(base, 'table'), lines.map((l) => `${l}\n`).join(''));
  const events = join(base, 'events.log');
  const child = spawn(runch, ['--root', join(base, 'root'), 'supervise', '--table', join(base, 'table'), '--state-dir', join(base, 'state'), '--log-dir', join(base, 'logs'), '--events', events], {
    stdio: 'ignore',
    env: { PATH: process.env.PATH, VZ_POLICY: policy ?? '' },
  });
  children.push(child);
  const read = () => (existsSync(events) ? readFileSync(events, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
  const state = () => {
    try {
      return JSON.parse(readFileSync(join(base, 'state', 'state.json'), 'utf8'));
    } catch {
      return undefined;
    }
  };
  return {
    pid: child.pid,
    read,
    state,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    },
  };
}

async function until(what, fn, ms = 120_000) {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(50);
  }
}

const rows = [];

// 1. Restart reaction, backoff 0 every time.
{
  const b = bundle('crash', ['sh', '-c', 'sleep 0.2; exit 1']);
  const s = supervise('reaction', [`c:respawn:${b}`], 'firstDelayMs=0,baseMs=0,loopDeaths=100000');
  await until(`${RUNS} restarts`, () => s.read().filter((e) => e.event === 'start').length > RUNS);
  const events = s.read().filter((e) => e.event === 'exit' || e.event === 'start');
  const gaps = [];
  for (let i = 1; i < events.length; i++) if (events[i].event === 'start' && events[i - 1].event === 'exit') gaps.push(events[i].t - events[i - 1].t);
  await s.stop();
  rows.push(['restart reaction: exit seen -> program running (median)', `${median(gaps).toFixed(1)} ms`, `min ${Math.min(...gaps).toFixed(1)}, max ${Math.max(...gaps).toFixed(1)}, n=${gaps.length}`]);
}

// 2. RSS: an idle node, the supervisor idle and with N containers.
const idleNode = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)'], { stdio: 'ignore', env: { PATH: process.env.PATH } });
children.push(idleNode);
const nodeRss = await settledRss(idleNode.pid);
// Measured: it goes now, or its never-ending timer keeps this bench alive after the table (issue 10).
idleNode.kill('SIGKILL');
rows.push(['idle node process RSS', `${(nodeRss / 1024).toFixed(1)} MiB`, '1.00x']);
const rss = {};
{
  const s = supervise('idle', ['# empty']);
  await until('idle supervisor', () => s.state());
  rss[0] = await settledRss(s.pid);
  await s.stop();
}
for (const n of SIZES) {
  const lines = [];
  for (let i = 0; i < n; i++) lines.push(`s${i}:respawn:${bundle(`s${n}-${i}`, ['sleep', '100000'])}`);
  const s = supervise(`n${n}`, lines);
  await until(`${n} running`, () => s.state()?.units?.length === n && s.state().units.every((u) => u.state === 'running'));
  rss[n] = await settledRss(s.pid);
  await s.stop();
}
for (const [n, kib] of Object.entries(rss))
  rows.push([`runch supervise RSS, ${n} containers`, `${(kib / 1024).toFixed(1)} MiB`, `${(kib / nodeRss).toFixed(2)}x idle node`]);

// 3. pm2, same sleep processes, when it installs (PM2=0 skips it: no download).
const pm2Dir = join(dir, 'pm2');
mkdirSync(pm2Dir);
const install = process.env.PM2 === '0' ? { status: 'skipped by PM2=0' } : spawnSync('npm', ['install', '--silent', '--no-audit', '--no-fund', '--prefix', pm2Dir, 'pm2@latest'], { timeout: 180_000, stdio: 'ignore' });
const pm2 = join(pm2Dir, 'node_modules/.bin/pm2');
if (install.status === 0 && existsSync(pm2)) {
  const env = { ...process.env, PM2_HOME: join(pm2Dir, 'home'), PM2_DISABLE_UPDATE_CHECK: 'true' };
  const run = (...args) => execFileSync(pm2, args, { env, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8', timeout: 120_000 });
  run('ping');
  const god = Number(readFileSync(join(pm2Dir, 'home', 'pm2.pid'), 'utf8'));
  rows.push(['pm2 daemon RSS, 0 processes', `${(rssKiB(god) / 1024).toFixed(1)} MiB`, `${(rssKiB(god) / nodeRss).toFixed(2)}x idle node`]);
  let started = 0;
  for (const n of SIZES) {
    for (; started < n; started++) run('start', '/bin/sleep', '--name', `p${started}`, '--interpreter', 'none', '--', '100000');
    const kib = await settledRss(god);
    rows.push([`pm2 daemon RSS, ${n} processes`, `${(kib / 1024).toFixed(1)} MiB`, `${(kib / nodeRss).toFixed(2)}x idle node; runch ${(rss[n] / kib).toFixed(2)}x pm2`]);
  }
  // pm2's restart reaction: SIGKILL its process, time until pm2 reports a new pid.
  const gaps = [];
  for (let i = 0; i < Math.min(RUNS, 10); i++) {
    const pid = JSON.parse(run('jlist')).find((p) => p.name === 'p0').pid;
    const began = performance.now();
    process.kill(pid, 'SIGKILL');
    let next = pid;
    while (next === pid || !next) {
      await sleep(1);
      next = JSON.parse(run('jlist')).find((p) => p.name === 'p0').pid;
    }
    gaps.push(performance.now() - began);
    await sleep(1200); // past pm2's min_uptime so it does not count as unstable
  }
  rows.push(['pm2 restart reaction: SIGKILL -> new pid in jlist (median, includes ~1 jlist call)', `${median(gaps).toFixed(1)} ms`, `n=${gaps.length}`]);
  run('kill');
} else rows.push(['pm2', 'skipped', process.env.PM2 === '0' ? 'PM2=0' : `npm install pm2 failed or took over 3 min (status ${install.status})`]);

const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
console.log(`bench/supervisor  (node ${process.version}, ${new Date().toISOString()})`);
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
