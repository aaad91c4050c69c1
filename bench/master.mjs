#!/usr/bin/env node
// bench/master: `vzmaster nodes` (facts from every host, one ansible run) against a bare `ansible all -m ping` on
// the same lab, same ansible.cfg, same warm ControlPersist connections. Medians of RUNS runs (default 7), run
// alternately so machine load hits both alike. Then, with an app running on every host: `vzmaster status` against
// the same ping (one round trip, not one per app), `vzmaster deploy` to 3 hosts against 1 (DEPLOY_RUNS each, default 3,
// fresh apps so each deploy pushes and unpacks), and what a re-push of an unchanged image sends.
// Run as root after `npm run build`: `node bench/master.mjs`.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const runs = Number(process.env.RUNS ?? 7);
const hosts = Number(process.env.HOSTS ?? 3);
const vzmaster = resolve(import.meta.dirname, '../dist/vzmaster.mjs');
const parent = mkdtempSync(join(tmpdir(), 'vz-bench-master-'));
const lab = join(parent, 'lab');
const env = { PATH: process.env.PATH, VZ_LAB_DIR: lab };

function run(cmd, args, extraEnv = {}) {
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: { ...env, ...extraEnv }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

try {
  const upMs = run(vzmaster, ['lab', 'up', '--hosts', String(hosts), '--busybox', '1']);
  const config = JSON.parse(readFileSync(join(lab, 'vzmaster.json'), 'utf8'));
  // The bare ansible gets exactly the environment vzmaster gives it: same config, home, control sockets.
  const ansibleEnv = {
    ANSIBLE_CONFIG: config.ansibleConfig,
    HOME: join(config.stateDir, 'home'),
    ANSIBLE_LOCAL_TEMP: join(config.stateDir, 'tmp'),
    ANSIBLE_SSH_CONTROL_PATH_DIR: join(config.stateDir, 'cp'),
  };
  const cases = {
    'vzmaster nodes': () => run(vzmaster, ['nodes', '--json']),
    'ansible all -m ping': () => run('ansible', ['all', '-i', config.inventory, '-m', 'ping'], ansibleEnv),
    'vzmaster nodes --limit vps1': () => run(vzmaster, ['nodes', '--json', '--limit', 'vps1']),
  };
  for (const fn of Object.values(cases)) fn(); // warm: connections, compile cache
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) for (const [name, fn] of Object.entries(cases)) times[name].push(fn());
  const base = median(times['ansible all -m ping']);
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`bench/master: ${hosts} lab hosts, ${runs} runs each, medians (load ${load}; lab up took ${Math.round(upMs)} ms)\n`);
  console.log('| command | median ms | min ms | vs ansible ping |');
  console.log('|---|---:|---:|---:|');
  for (const [name, xs] of Object.entries(times))
    console.log(`| ${name} | ${Math.round(median(xs))} | ${Math.round(Math.min(...xs))} | ${(median(xs) / base).toFixed(2)}x |`);

  // An app: a busybox bundle packed by vzimage.
  const bundle = join(parent, 'app');
  mkdirSync(join(bundle, 'rootfs/bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(bundle, 'rootfs/bin/busybox'));
  for (const applet of ['sh', 'sleep']) symlinkSync('busybox', join(bundle, 'rootfs/bin', applet));
  const dist = resolve(import.meta.dirname, '../dist');
  execFileSync(join(dist, 'runch.cjs'), ['spec', '--bundle', bundle, '--', 'sleep', '100000']);
  execFileSync(join(dist, 'vzimage.cjs'), ['pack', bundle, '-o', join(parent, 'images')], { stdio: 'ignore' });
  const image = join(parent, 'images', readdirSync(join(parent, 'images')).find((f) => f.endsWith('.tar.gz')));
  run(vzmaster, ['start', 'bench', '--image', image]);
  const status = { 'vzmaster status (1 app per host)': [], 'ansible all -m ping ': [] };
  for (let i = 0; i < runs; i++) {
    status['vzmaster status (1 app per host)'].push(run(vzmaster, ['status', '--json']));
    status['ansible all -m ping '].push(run('ansible', ['all', '-i', config.inventory, '-m', 'ping'], ansibleEnv));
  }
  const pingNow = median(status['ansible all -m ping ']);
  console.log('');
  console.log('| command | median ms | min ms | vs ansible ping |');
  console.log('|---|---:|---:|---:|');
  for (const [name, xs] of Object.entries(status))
    console.log(`| ${name} | ${Math.round(median(xs))} | ${Math.round(Math.min(...xs))} | ${(median(xs) / pingNow).toFixed(2)}x |`);

  const repush = JSON.parse(spawnSync(vzmaster, ['push', image, '--json'], { env, encoding: 'utf8' }).stdout);
  console.log(`\nre-push of an unchanged image: sent to ${repush.sent.length} hosts, already on ${repush.present.length} (image bytes sent: ${repush.sent.length === 0 ? 0 : 'some'})`);

  const deployRuns = Number(process.env.DEPLOY_RUNS ?? 3);
  const deploys = { 1: [], [hosts]: [] };
  for (let i = 0; i < deployRuns; i++)
    for (const replicas of [1, hosts]) {
      const manifest = join(parent, `d${replicas}-${i}.yml`);
      writeFileSync(manifest, `app: d${replicas}x${i}\nimage: ${image}\nreplicas: ${replicas}\nrolling: { batch: ${replicas}, minUptime: 1, timeout: 60 }\n`);
      deploys[replicas].push(run(vzmaster, ['deploy', manifest]));
    }
  const one = median(deploys[1]);
  console.log(`\n| deploy (new app, image already pushed) | median ms | vs 1 host |\n|---|---:|---:|`);
  for (const [replicas, xs] of Object.entries(deploys)) console.log(`| ${replicas} host(s) | ${Math.round(median(xs))} | ${(median(xs) / one).toFixed(2)}x |`);
} finally {
  spawnSync(vzmaster, ['lab', 'down'], { env, stdio: 'inherit' });
  rmSync(parent, { recursive: true, force: true });
}
