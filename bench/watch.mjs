#!/usr/bin/env node
// bench/watch: issue 15's "the watch's time from host loss to replicas running elsewhere", and the RSS of
// `vzmaster watch`. A lab of 3 hosts (3 vendors), an app with 2 replicas, a foreground watch (rounds every INTERVAL
// seconds, lost after LOST_AFTER misses); each cycle stops a host holding a replica and times until the replica runs
// elsewhere (the hook's "rescheduled" event, then `vzmaster status` agreeing), then starts the host again and waits for
// the surplus to be stopped. Medians over CYCLES. The bound it is held to:
//   LOST_AFTER x INTERVAL (the misses) + one round (status round trip) + one deploy to one host (copy + apply + health).
// Run as root after `npm run build`: `node bench/watch.mjs` (CYCLES, default 3; INTERVAL, default 2; LOST_AFTER, default 2).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const cycles = Number(process.env.CYCLES ?? 3);
const interval = Number(process.env.INTERVAL ?? 2);
const lostAfter = Number(process.env.LOST_AFTER ?? 2);
const vzmaster = resolve(import.meta.dirname, '../dist/vzmaster.mjs');
const dist = resolve(import.meta.dirname, '../dist');
const parent = mkdtempSync(join(tmpdir(), 'vz-bench-watch-'));
const lab = join(parent, 'lab');
const env = { PATH: process.env.PATH, VZ_LAB_DIR: lab };
const hookFile = join(parent, 'events.jsonl');

function run(args) {
  const started = process.hrtime.bigint();
  const r = spawnSync(vzmaster, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0 && !(args[0] === 'status' && r.status === 4)) throw new Error(`vzmaster ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, stdout: r.stdout };
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const events = () => (existsSync(hookFile) ? readFileSync(hookFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
const running = () =>
  JSON.parse(run(['status', 'web', '--json']).stdout).hosts.filter((h) => h.reachable && h.apps.some((a) => a.wanted !== 'off' && a.state === 'running')).map((h) => h.host);
async function until(what, ms, probe) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

let watch;
try {
  run(['lab', 'up', '--hosts', '3', '--busybox', '0']);
  const bundle = join(parent, 'app');
  mkdirSync(join(bundle, 'rootfs/bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(bundle, 'rootfs/bin/busybox'));
  for (const applet of ['sh', 'sleep']) symlinkSync('busybox', join(bundle, 'rootfs/bin', applet));
  execFileSync(join(dist, 'runch.cjs'), ['spec', '--bundle', bundle, '--', 'sleep', '100000']);
  execFileSync(join(dist, 'vzimage.cjs'), ['pack', bundle, '-o', join(parent, 'images'), '--app', 'web'], { stdio: 'ignore' });
  const image = join(parent, 'images', readdirSync(join(parent, 'images')).find((f) => f.endsWith('.tar.gz')));
  writeFileSync(join(parent, 'web.yml'), `app: web\nimage: ${image}\nreplicas: 2\nrolling: { batch: 2, minUptime: 1, timeout: 60 }\n`);
  run(['deploy', join(parent, 'web.yml')]);
  const statusMs = median([0, 1, 2].map(() => run(['status', '--json']).ms));

  watch = spawn(vzmaster, ['watch', '--every', `*/${interval} * * * * *`, '--lost-after', String(lostAfter), '--notify', `cat >> '${hookFile}'`], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  await new Promise((r) => setTimeout(r, 3000));
  const loss = [];
  const back = [];
  let rss = rssKiB(watch.pid);
  for (let i = 0; i < cycles; i++) {
    const holder = running().sort()[0];
    const before = events().length;
    const lostAt = Date.now();
    run(['lab', 'stop-host', holder]);
    await until('rescheduled', 120_000, () => events().slice(before).find((e) => e.event === 'rescheduled'));
    loss.push(Date.now() - lostAt);
    rss = Math.max(rss, rssKiB(watch.pid));
    const returned = Date.now();
    run(['lab', 'start-host', holder]);
    await until('surplus-stopped', 120_000, () => events().slice(before).find((e) => e.event === 'surplus-stopped'));
    back.push(Date.now() - returned);
    rss = Math.max(rss, rssKiB(watch.pid));
  }
  const idle = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 2000)']);
  await new Promise((r) => setTimeout(r, 800));
  const idleRss = rssKiB(idle.pid);
  idle.kill();
  const bound = lostAfter * interval * 1000 + 2 * statusMs + 15_000;
  const rows = [
    ['host loss -> replica running elsewhere', `${(median(loss) / 1000).toFixed(1)} s`, `bound ${(bound / 1000).toFixed(1)} s = ${lostAfter} x ${interval} s + 2 rounds (${(statusMs / 1000).toFixed(1)} s each) + 15 s for one deploy`],
    ['host back -> surplus stopped', `${(median(back) / 1000).toFixed(1)} s`, 'boot + one round + one stop'],
    ['vzmaster watch RSS (peak, VmRSS)', `${(rss / 1024).toFixed(1)} MiB`, `${(rss / idleRss).toFixed(2)}x an idle node (${(idleRss / 1024).toFixed(1)} MiB)`],
  ];
  console.log(`bench/watch: ${cycles} cycles, rounds every ${interval} s, lost after ${lostAfter} misses, medians`);
  console.log('| measure | median | against |\n|---|---:|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
} finally {
  watch?.kill('SIGINT');
  spawnSync(vzmaster, ['lab', 'down'], { env, stdio: 'ignore' });
  rmSync(parent, { recursive: true, force: true });
}
