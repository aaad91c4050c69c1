#!/usr/bin/env node
// bench/master: vzmaster's round trips against a bare `ansible all -m ping` on the same lab, same ansible.cfg, same
// warm ControlPersist connections; medians, run alternately so machine load hits both alike. The table of issue 10:
//   new-app deploy to 1 host vs ping, unchanged redeploy vs `vzmaster status`, deploy to 3 hosts vs 1,
//   `vzmaster status` vs ping, and the ansible processes per start and per new-app deploy (VZ_ANSIBLE_LOG); issue 15's
//   `vzmaster top` vs ping (its CPU sample, 200 ms on each host, included).
// Run as root after `npm run build`: `node bench/master.mjs` (RUNS, default 7; DEPLOY_RUNS, default 3).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const runs = Number(process.env.RUNS ?? 7);
const deployRuns = Number(process.env.DEPLOY_RUNS ?? 3);
const hosts = 3;
// BUSYBOX=1 puts one busybox-init host in the lab: busybox init polls for new respawn entries once a second, so a
// deploy touching it waits that second more (init's cost, not vzmaster's).
const busybox = Number(process.env.BUSYBOX ?? 0);
const vzmaster = resolve(import.meta.dirname, '../dist/vzmaster.mjs');
const parent = mkdtempSync(join(tmpdir(), 'vz-bench-master-'));
const lab = join(parent, 'lab');
const env = { PATH: process.env.PATH, VZ_LAB_DIR: lab };

function run(cmd, args, extraEnv = {}) {
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: { ...env, ...extraEnv }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return ms;
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** The ansible processes one vzmaster call starts, as its VZ_ANSIBLE_LOG lists them. */
function counted(args) {
  const log = join(parent, `count-${Date.now()}.log`);
  run(vzmaster, args, { VZ_ANSIBLE_LOG: log });
  return readFileSync(log, 'utf8').trim().split('\n');
}

try {
  const upMs = run(vzmaster, ['lab', 'up', '--hosts', String(hosts), '--busybox', String(busybox)]);
  const config = JSON.parse(readFileSync(join(lab, 'vzmaster.json'), 'utf8'));
  // The bare ansible gets exactly the environment vzmaster gives it: same config, home, control sockets.
  const ansibleEnv = {
    ANSIBLE_CONFIG: config.ansibleConfig,
    HOME: join(config.stateDir, 'home'),
    ANSIBLE_LOCAL_TEMP: join(config.stateDir, 'tmp'),
    ANSIBLE_SSH_CONTROL_PATH_DIR: join(config.stateDir, 'cp'),
  };
  const ping = () => run('ansible', ['all', '-i', config.inventory, '-m', 'ping'], ansibleEnv);

  // An app: a busybox bundle packed by vzimage, started on every host (runch installed, image pushed).
  const bundle = join(parent, 'app');
  mkdirSync(join(bundle, 'rootfs/bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(bundle, 'rootfs/bin/busybox'));
  for (const applet of ['sh', 'sleep']) symlinkSync('busybox', join(bundle, 'rootfs/bin', applet));
  const dist = resolve(import.meta.dirname, '../dist');
  execFileSync(join(dist, 'runch.cjs'), ['spec', '--bundle', bundle, '--', 'sleep', '100000']);
  execFileSync(join(dist, 'vzimage.cjs'), ['pack', bundle, '-o', join(parent, 'images')], { stdio: 'ignore' });
  const image = join(parent, 'images', readdirSync(join(parent, 'images')).find((f) => f.endsWith('.tar.gz')));
  const perStart = counted(['start', 'bench', '--image', image]);
  const manifest = (name, replicas) => {
    const file = join(parent, `${name}.yml`);
    writeFileSync(file, `app: ${name}\nimage: ${image}\nreplicas: ${replicas}\nrolling: { batch: ${replicas}, minUptime: 1, timeout: 60 }\n`);
    return file;
  };
  const perDeploy = counted(['deploy', manifest('counted', 1)]);
  const unchangedManifest = manifest('steady', 1);
  run(vzmaster, ['deploy', unchangedManifest]);
  ping();
  run(vzmaster, ['status', '--json']); // warm: connections, compile cache
  run(vzmaster, ['top', '--json']);

  const times = { ping: [], status: [], top: [], deploy1: [], deploy3: [], unchanged: [] };
  for (let i = 0; i < Math.max(runs, deployRuns); i++) {
    if (i < runs) {
      times.ping.push(ping());
      times.status.push(run(vzmaster, ['status', '--json']));
      times.top.push(run(vzmaster, ['top', '--json']));
      times.unchanged.push(run(vzmaster, ['deploy', unchangedManifest]));
    }
    if (i < deployRuns) {
      times.deploy1.push(run(vzmaster, ['deploy', manifest(`one${i}`, 1)]));
      times.deploy3.push(run(vzmaster, ['deploy', manifest(`three${i}`, hosts)]));
    }
  }
  const m = Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, median(xs)]));
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`bench/master: ${hosts} lab hosts (${busybox} under busybox init), medians of ${runs} runs (deploys: ${deployRuns}); load ${load}; lab up took ${Math.round(upMs)} ms\n`);
  console.log('| measure | median ms | ratio | goal |');
  console.log('|---|---:|---:|---:|');
  console.log(`| new-app deploy to 1 host (image on the hosts, minUptime 1 s) vs \`ansible all -m ping\` (${Math.round(m.ping)} ms) | ${Math.round(m.deploy1)} | ${(m.deploy1 / m.ping).toFixed(2)}x | <= 3.5x |`);
  console.log(`| the same, less the manifest's 1 s minimum uptime (a wait the manifest asks for) | ${Math.round(m.deploy1 - 1000)} | ${((m.deploy1 - 1000) / m.ping).toFixed(2)}x | |`);
  console.log(`| unchanged redeploy vs \`vzmaster status\` (${Math.round(m.status)} ms) | ${Math.round(m.unchanged)} | ${(m.unchanged / m.status).toFixed(2)}x | <= 1.5x |`);
  console.log(`| deploy to 3 hosts vs 1 | ${Math.round(m.deploy3)} | ${(m.deploy3 / m.deploy1).toFixed(2)}x | <= 1.3x |`);
  console.log(`| \`vzmaster status\` vs ping | ${Math.round(m.status)} | ${(m.status / m.ping).toFixed(2)}x | <= 1.2x |`);
  console.log(`| \`vzmaster top\` (every app's CPU sampled 200 ms on each host) vs ping | ${Math.round(m.top)} | ${(m.top / m.ping).toFixed(2)}x | <= 1.5x |`);
  console.log(`\nansible processes per start (new app, nothing on the hosts yet): ${perStart.length} (${perStart.join(', ')})`);
  console.log(`ansible processes per new-app deploy to 1 host: ${perDeploy.length} (${perDeploy.join(', ')})`);
} finally {
  spawnSync(vzmaster, ['lab', 'down'], { env, stdio: 'inherit' });
  rmSync(parent, { recursive: true, force: true });
}
