// vzmaster top (issue 15): the figures are the hosts' real ones, in one ansible round trip. One lab: vps1 in init mode
// runs a busy loop, an idle sleeper and a program holding memory and fds; vps2 in supervisor mode runs the sleeper.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse, stringify } from 'yaml';
import { scratch } from '../helpers/fixtures.ts';
import { busyboxImage, sshRun, startLab, vzmaster } from '../helpers/lab.ts';

interface AppTop {
  id: string;
  state: string;
  pid?: number;
  restarts: number;
  uptimeS?: number;
  cpuPct: number;
  rssBytes: number;
  fds: number;
  processes: number;
}
interface HostTop {
  host: string;
  reachable: boolean;
  mode?: string;
  figures?: { load: number[]; cpus: number; memTotalBytes: number; memAvailableBytes: number; diskFreeBytes: number; diskTotalBytes: number; vzRssBytes: number; vzProcesses: number; sampleMs: number };
  apps: AppTop[];
}

/** The lab's inventory with vz_mode: supervisor on one host, beside the test's files. */
function inventoryWithMode(labInventory: string, host: string, file: string): string {
  const doc = parse(readFileSync(labInventory, 'utf8')) as { all: { children: Record<string, { hosts: Record<string, Record<string, unknown>> }> } };
  Object.values(doc.all.children).find((g) => g.hosts[host])!.hosts[host].vz_mode = 'supervisor';
  writeFileSync(file, stringify(doc));
  return file;
}

const MiB = 1024 * 1024;

t.test('top: real CPU, RSS, fds and restarts per app, sane host figures, vz RSS 0 in init mode and > 0 in supervisor mode, one round trip', async (t) => {
  const dir = scratch(t);
  const lab = await startLab(t, { hosts: 2, busybox: 1 });
  const [initHost, supHost] = lab.hosts();
  const flags = ['-i', inventoryWithMode(lab.inventory, supHost.name, join(dir, 'inventory.yml')), '--config', join(lab.dir, 'vzmaster.json')];
  const run = (args: string[]) => lab.run([...args, ...flags], 120_000);
  const images = {
    busy: busyboxImage(dir, 'busy', 'while :; do :; done'),
    idle: busyboxImage(dir, 'idle', 'exec sleep 100000'),
    // 16 MiB held in a shell variable, and 7 more open files than the sleeper.
    fat: busyboxImage(dir, 'fat', 's=x; i=0; while [ $i -lt 24 ]; do s=$s$s; i=$((i+1)); done; exec 3</bin/busybox 4</bin/busybox 5</bin/busybox 6</bin/busybox 7</bin/busybox 8</bin/busybox 9</bin/busybox; echo ready; while :; do sleep 1000; done'),
  };
  for (const [app, image] of Object.entries(images)) {
    const started = await run(['start', app, '--image', image, '--limit', initHost.name]);
    t.equal(started.exitCode, 0, `${app} started on ${initHost.name}`, { output: started.stderr + started.stdout });
  }
  const sup = await run(['start', 'idle', '--image', images.idle, '--limit', supHost.name]);
  t.equal(sup.exitCode, 0, `idle started on ${supHost.name} (supervisor mode)`, { output: sup.stderr + sup.stdout });

  const counted = join(dir, 'ansible.log');
  const topJson = async () => {
    const r = await lab.run(['top', '--json', ...flags], 60_000);
    return { ...r, hosts: r.exitCode === 0 ? (JSON.parse(r.stdout).hosts as HostTop[]) : [] };
  };
  // The fat app is ready once its memory is held (its log says so); give every app a moment of life first.
  const deadline = Date.now() + 20_000;
  let result = await topJson();
  const app = (host: string, id: string) => result.hosts.find((h) => h.host === host)?.apps.find((a) => a.id === id);
  while (Date.now() < deadline && !((app(initHost.name, 'fat')?.rssBytes ?? 0) > 16 * MiB && app(supHost.name, 'idle')?.state === 'running' && (app(initHost.name, 'idle')?.uptimeS ?? 0) >= 1)) {
    await new Promise((r) => setTimeout(r, 500));
    result = await topJson();
  }
  t.equal(result.exitCode, 0, result.stderr);

  const countedRun = await vzmaster(['top', '--json', ...flags], { env: { ...lab.env, VZ_ANSIBLE_LOG: counted }, scratchDir: dir });
  t.equal(countedRun.exitCode, 0, countedRun.stderr);
  t.same(readFileSync(counted, 'utf8').trim().split('\n'), ['command host top'], 'one ansible process: one round trip for every figure');

  const busy = app(initHost.name, 'busy')!;
  const idle = app(initHost.name, 'idle')!;
  const fat = app(initHost.name, 'fat')!;
  t.ok(busy.cpuPct >= 40, `the busy loop uses most of a CPU: ${busy.cpuPct}%`);
  t.ok(idle.cpuPct < 5, `the sleeper uses next to none: ${idle.cpuPct}%`);
  t.ok(busy.cpuPct > idle.cpuPct + 30, 'busy well above idle');
  t.ok(fat.rssBytes > idle.rssBytes + 12 * MiB, `the program holding 16 MiB shows it: ${fat.rssBytes} vs ${idle.rssBytes} bytes`);
  t.ok(idle.rssBytes > 0, 'the sleeper has a resident size too');
  t.ok(fat.fds >= idle.fds + 7, `7 more open files: ${fat.fds} vs ${idle.fds}`);
  t.ok(idle.fds >= 3, 'stdin, stdout and stderr at least');
  for (const a of [busy, idle, fat]) {
    t.equal(a.state, 'running', `${a.id} running`);
    t.ok(a.pid && a.processes >= 1, `${a.id}: a pid and its processes`);
    t.ok((a.uptimeS ?? -1) >= 0, `${a.id}: an uptime`);
  }

  const init = result.hosts.find((h) => h.host === initHost.name)!;
  const supervised = result.hosts.find((h) => h.host === supHost.name)!;
  t.equal(init.mode, 'init');
  t.equal(supervised.mode, 'supervisor');
  for (const h of [init, supervised]) {
    const f = h.figures!;
    t.ok(f.load.length === 3 && f.load.every((l) => l >= 0 && l < 1000), `${h.host}: load ${f.load.join(' ')}`);
    t.ok(f.cpus >= 1, `${h.host}: cpus`);
    t.ok(f.memTotalBytes > 64 * MiB && f.memAvailableBytes > 0 && f.memAvailableBytes <= f.memTotalBytes, `${h.host}: RAM ${f.memAvailableBytes} of ${f.memTotalBytes}`);
    t.ok(f.diskTotalBytes > 0 && f.diskFreeBytes > 0 && f.diskFreeBytes <= f.diskTotalBytes, `${h.host}: disk ${f.diskFreeBytes} of ${f.diskTotalBytes}`);
    t.equal(f.sampleMs, 200, 'sampled over the default interval');
  }
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  t.equal(init.figures!.memTotalBytes, Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)![1]) * 1024, 'RAM as the kernel counts it');
  t.equal(init.figures!.vzRssBytes, 0, 'init mode: nothing of vz resident');
  t.equal(init.figures!.vzProcesses, 0);
  t.ok(supervised.figures!.vzRssBytes > 4 * MiB, `supervisor mode: the supervisor's RSS, ${supervised.figures!.vzRssBytes} bytes`);
  t.equal(supervised.figures!.vzProcesses, 1, 'one vz process: the supervisor');
  t.equal(supervised.apps.find((a) => a.id === 'idle')?.state, 'running', 'the supervisor-mode host\'s app');

  // A kill -9 of the sleeper (inside the host): init respawns it, and top counts the restart.
  const before = idle.restarts;
  const killed = await sshRun(lab, initHost, `kill -9 ${idle.pid}`);
  t.equal(killed.exitCode, 0, killed.stderr);
  const restartDeadline = Date.now() + 15_000;
  result = await topJson();
  while (Date.now() < restartDeadline && !(app(initHost.name, 'idle')?.pid !== idle.pid && app(initHost.name, 'idle')?.state === 'running')) {
    await new Promise((r) => setTimeout(r, 500));
    result = await topJson();
  }
  t.not(app(initHost.name, 'idle')?.pid, idle.pid, 'a new pid');
  t.ok(app(initHost.name, 'idle')!.restarts > before, `restarts counted: ${before} -> ${app(initHost.name, 'idle')!.restarts}`);

  // One app, on a terminal-like output: the table.
  const table = await lab.run(['top', 'busy', ...flags], 60_000);
  t.equal(table.exitCode, 0, table.stderr);
  t.match(table.stdout, /^HOST +MODE +LOAD 1 5 15 +RAM FREE \/ TOTAL +DISK FREE \/ TOTAL +VZ RSS/m, 'the hosts table');
  t.match(table.stdout, new RegExp(`^${initHost.name} +busy +running +\\d+ +\\d+[smhd] +\\d+ +\\d+\\.\\d +[\\d.]+ [KMG]iB +\\d+ +\\d+$`, 'm'), 'the busy app\'s row');
  t.notMatch(table.stdout, /\bidle\b/, 'only the app asked for');
  const bad = await lab.run(['top', '--sample', '9', ...flags]);
  t.equal(bad.exitCode, 1);
  t.match(bad.stderr, /^vzmaster: top: --sample 9 is out of range: use 50 to 5000 ms\n$/);
});
