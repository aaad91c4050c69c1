// bench/init-inits: init mode under each of the four inits, side by side in one run (issue 13), on one lab with a
// sysvinit, a busybox, a systemd and an OpenRC host, the app started through vzmaster:
//   respawn latency: kill -9 of the container -> its new process runs (found in the host's pid namespace), once for
//     each of R apps per host (every death a first one: vz's backoff 0; a run killed within 10 s of its start
//     would count as a quick exit and wait out the backoff), median and worst;
//   vz RSS per container: every process of vz in the host (runch, node, a launcher still in sh), summed: goal 0;
//   the systemd floor: systemd's own respawn of a bare process (Restart=always, RestartSec=0) on the same host.
// Run as root after `npm run build`: `node bench/init-inits.ts` (Node strips the types). R=kills per host (default 5).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { busyboxBundle } from '../test/helpers/fixtures.ts';
import { vzmaster } from '../test/helpers/lab.ts';

const R = Number(process.env.R ?? 5);
const INITS = ['sysvinit', 'busybox', 'systemd', 'openrc'];
const VZIMAGE = resolve(import.meta.dirname, '../dist/vzimage.cjs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

interface Host {
  name: string;
  init: string;
  address: string;
  port: number;
  initPid: number;
}

/** Machine pids of the host's processes (its pid namespace), with their command lines. */
function processesOf(host: Host): { pid: number; cmd: string }[] {
  const ns = readlinkSync(`/proc/${host.initPid}/ns/pid`);
  const found: { pid: number; cmd: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) !== ns) continue;
      if (/^State:\s+Z/m.test(readFileSync(`/proc/${name}/status`, 'utf8'))) continue;
      found.push({ pid: Number(name), cmd: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim() });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

const rssKiB = (pid: number) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
};

/** kill -9 the one process whose command line is `command`, time until a new one runs. */
async function respawnMs(host: Host, command: string): Promise<number> {
  const old = processesOf(host).find((p) => p.cmd === command);
  if (!old) throw new Error(`${host.name}: no "${command}" running`);
  const started = performance.now();
  process.kill(old.pid, 'SIGKILL');
  while (performance.now() - started < 30_000) {
    if (processesOf(host).some((p) => p.cmd === command && p.pid !== old.pid)) return performance.now() - started;
  }
  throw new Error(`${host.name}: "${command}" not respawned in 30 s`);
}

async function main() {
  const parent = mkdtempSync(join(tmpdir(), 'vz-bench-inits-'));
  const dir = join(parent, 'lab');
  const env = { VZ_LAB_DIR: dir };
  const run = (args: string[]) => vzmaster(args, { env, scratchDir: parent, timeout: 240_000 });
  try {
    const up = await run(['lab', 'up', '--dir', dir, '--hosts', '4', '--inits', INITS.join(','), '--fresh', '0']);
    if (up.exitCode !== 0) throw new Error(`lab up: ${up.stderr}`);
    const hosts = (JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as { hosts: Host[] }).hosts;
    for (let i = 0; i < R; i++) {
      const bundle = busyboxBundle(join(parent, `app${i}`), { args: ['sleep', String(1000 + i)], env: ['PATH=/bin'] });
      execFileSync(VZIMAGE, ['pack', bundle, '-o', join(parent, `img${i}`), '--app', `app${i}`], { stdio: 'ignore' });
      const image = join(parent, `img${i}`, readdirSync(join(parent, `img${i}`)).find((f) => f.endsWith('.tar.gz'))!);
      const started = await run(['start', `app${i}`, '--image', image]);
      if (started.exitCode !== 0) throw new Error(`start: ${started.stdout}${started.stderr}`);
    }
    await sleep(11_000); // every app up for longer than vz's stable time: its death is a first one
    const rows: string[] = [];
    for (const host of hosts) {
      const times: number[] = [];
      for (let i = 0; i < R; i++) times.push(await respawnMs(host, `sleep ${1000 + i}`));
      const all = processesOf(host);
      // vz's own: runch, its node, a launcher still in sh; the init's per-container supervisor (OpenRC's
      // supervise-daemon) is the init's cost, counted apart.
      const vz = all.filter((p) => /runch|vz-node|^\/bin\/sh \S*\/launch\//.test(p.cmd));
      const initOwn = all.filter((p) => /^supervise-daemon vz-/.test(p.cmd));
      const mib = (list: { pid: number }[]) => (list.reduce((sum, p) => sum + rssKiB(p.pid), 0) / 1024 / R).toFixed(2);
      rows.push(`| ${host.init} | ${median(times).toFixed(1)} | ${Math.max(...times).toFixed(1)} | ${mib(vz)} (${vz.length} processes) | ${initOwn.length ? `${mib(initOwn)} (supervise-daemon)` : '0'} |`);
      if (host.init === 'systemd') {
        // The floor: systemd respawning a bare process, nothing of vz in between.
        const ssh = ['-i', join(dir, 'ssh', 'id_ed25519'), '-p', String(host.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `root@${host.address}`];
        execFileSync('ssh', [...ssh, 'printf "[Unit]\\nStartLimitIntervalSec=0\\n[Service]\\nExecStart=/bin/sleep 2001\\nRestart=always\\nRestartSec=0\\n" >/run/systemd/system/bare.service && systemctl daemon-reload && systemctl start bare.service'], { stdio: 'ignore' });
        await sleep(11_000);
        const floor: number[] = [];
        for (let i = 0; i < R; i++) {
          floor.push(await respawnMs(host, '/bin/sleep 2001'));
          await sleep(300);
        }
        rows.push(`| systemd floor (bare Restart=always, RestartSec=0) | ${median(floor).toFixed(1)} | ${Math.max(...floor).toFixed(1)} | - | - |`);
      }
    }
    process.stdout.write(`respawn after kill -9, init mode, ${R} apps per host killed once each (ms), and resident memory per container\n\n| init | median | worst | vz RSS MiB per container | init's own per container, MiB |\n|---|---|---|---|---|\n${rows.join('\n')}\n`);
  } finally {
    await vzmaster(['lab', 'down', '--dir', dir], { scratchDir: parent });
    rmSync(parent, { recursive: true, force: true });
  }
}

await main();
