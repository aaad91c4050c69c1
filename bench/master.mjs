#!/usr/bin/env node
// bench/master: `vzmaster nodes` (facts from every host, one ansible run) against a bare `ansible all -m ping` on
// the same lab, same ansible.cfg, same warm ControlPersist connections. Medians of RUNS runs (default 7), run
// alternately so machine load hits both alike. Run as root after `npm run build`: `node bench/master.mjs`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
} finally {
  spawnSync(vzmaster, ['lab', 'down'], { env, stdio: 'inherit' });
  rmSync(parent, { recursive: true, force: true });
}
