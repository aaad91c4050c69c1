// issue 14: a runtime per host. Lab hosts with vz_runtime: runc (init mode and supervisor mode) run the sample app
// through vzmaster under Debian's real runc: namespaces for real, kill -9 respawned, stop stays stopped, deploy and
// rollback. crun refuses this machine's hybrid cgroups inside a lab host (docs/vzmaster.md): test/runch/runtime-config.test.ts
// runs it where it can. A second lab runs runc under a systemd unit and under OpenRC's supervise-daemon (init mode);
// the lab's OpenRC host, which has no cgroup mount, is refused first. No mocks.
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { cmdline, removeRuntimeCgroups, vzCgroups } from '../helpers/runtime-cgroups.ts';
import { parse, stringify } from 'yaml';
import { scratch } from '../helpers/fixtures.ts';
import { busyboxImage, type LabHostInfo, sshRun, startLab, type TestLab } from '../helpers/lab.ts';

/** The lab's inventory with host vars set per host, written beside the test's files (the lab's own stays as is). */
function inventoryWith(labInventory: string, vars: Record<string, Record<string, string>>, file: string): string {
  const doc = parse(readFileSync(labInventory, 'utf8')) as { all: { children: Record<string, { hosts: Record<string, Record<string, unknown>> }> } };
  for (const [host, values] of Object.entries(vars)) Object.assign(Object.values(doc.all.children).find((g) => g.hosts[host])!.hosts[host], values);
  writeFileSync(file, stringify(doc));
  return file;
}

interface Row {
  id: string;
  state: string;
  pid?: number;
  version: string;
}

/** The direct children of a process (the runtime's child is the container's first process). */
function children(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/**
 * The machine's pid of a process a lab host reports (its pid in the host's own pid namespace): the process in the
 * host init's pid namespace whose NSpid has that pid at the host's level.
 */
function machinePid(host: LabHostInfo, nsPid: number): number | undefined {
  const nsPidOf = (pid: number) => /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1].trim().split(/\s+/).map(Number) ?? [];
  const level = nsPidOf(host.initPid!).length - 1;
  const hostNs = nsOf(host.initPid!, 'pid');
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (nsOf(Number(name), 'pid') === hostNs && nsPidOf(Number(name))[level] === nsPid) return Number(name);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

const comm = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
const nsOf = (pid: number, ns: string) => readlinkSync(`/proc/${pid}/ns/${ns}`);

/**
 * The cgroup directories runc and crun made for vz (`vz/<host>/<app>`, relative to the runtime's own cgroup in each
 * hierarchy): the app's own directory goes with the container, the parents stay; the test removes those it caused.
 */
async function rowsOf(lab: TestLab, flags: string[], app: string): Promise<{ host: string; runtime: string; apps: Row[] }[]> {
  const status = await lab.run(['status', app, '--json', ...flags]);
  return JSON.parse(status.stdout).hosts;
}

async function waitFor<T>(what: () => Promise<T | undefined>, ms = 20_000): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await what();
    if (value !== undefined || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
}

// The app of examples/demo.sh, with a TERM handler: under runc it is PID 1 of its pid namespace, and the kernel
// gives PID 1 no default action for TERM (a stop would wait for the KILL after the stop timeout).
const APP = (v: string) => `trap "echo bye; exit 0" TERM; read h </proc/sys/kernel/hostname; echo "${v} up in $h"; while true; do echo "${v} $GREETING"; sleep 1; done`;

t.test('issue 14: vz_runtime runc in init and supervisor mode: start, kill -9, stop, deploy, rollback; a bad vz_runtime refused', async (t) => {
  const dir = scratch(t);
  // Registered before the lab: teardowns run last first, so this runs once the lab is down and its containers gone.
  t.teardown(() => removeRuntimeCgroups(['vps1', 'vps2']));
  const lab = await startLab(t, { hosts: 2, busybox: 0 });
  const [init, sup] = lab.hosts();
  const inventory = inventoryWith(lab.inventory, { [init.name]: { vz_runtime: 'runc' }, [sup.name]: { vz_runtime: 'runc', vz_mode: 'supervisor' } }, join(dir, 'inventory.yml'));
  const flags = ['-i', inventory, '--config', join(lab.dir, 'vzmaster.json')];
  const run = (...args: string[]) => lab.run([...args, ...flags], 240_000);
  const v1 = busyboxImage(dir, 'v1', APP('v1'));
  const v2 = busyboxImage(dir, 'v2', APP('v2'));

  const bad = inventoryWith(lab.inventory, { [init.name]: { vz_runtime: 'podman' } }, join(dir, 'bad.yml'));
  const refused = await lab.run(['start', 'web', '--image', v1, '-i', bad, '--config', join(lab.dir, 'vzmaster.json')]);
  t.equal(refused.exitCode, 1);
  t.match(refused.stderr, new RegExp(`^vzmaster: inventory .*: host "${init.name}" has vz_runtime "podman": use runch, runc, crun\\n$`), 'one line: the host, the variable, the allowed values');

  const nodes = await run('nodes', '--json');
  t.same(JSON.parse(nodes.stdout).nodes.map((n: { runtime: string }) => n.runtime), ['runc', 'runc'], 'nodes: runtime field');
  t.match((await run('nodes')).stdout, /RUNTIME[\s\S]*runc/);

  const start = await run('start', 'web', '--image', v1, '--env', 'GREETING=hi');
  t.equal(start.exitCode, 0, start.stderr + start.stdout);
  const hostOf = (name: string) => (name === init.name ? init : sup);
  /** The runtime's process (machine pid) of a row, when it runs a container. */
  const runtimeOf = (host: string, row: Row | undefined) => {
    const pid = row?.state === 'running' && row.pid ? machinePid(hostOf(host), row.pid) : undefined;
    return pid !== undefined && children(pid).length > 0 ? pid : undefined;
  };
  const running = async () => {
    const hosts = await rowsOf(lab, flags, 'web');
    return hosts.length === 2 && hosts.every((h) => runtimeOf(h.host, h.apps[0]) !== undefined) ? hosts : undefined;
  };
  const first = await waitFor(running);
  t.ok(first, 'running on both hosts');
  t.same(first?.map((h) => h.runtime), ['runc', 'runc'], 'status: runtime field');
  t.match((await run('status', 'web')).stdout, new RegExp(`${init.name}\\s+runc\\s+web\\s+respawn\\s+running`), 'status: RUNTIME column');
  if (!first) return;
  for (const h of first) {
    const runtimePid = runtimeOf(h.host, h.apps[0])!;
    t.equal(comm(runtimePid), 'runc', `${h.host}: the recorded pid is runc's foreground process`);
    const app = children(runtimePid)[0];
    for (const ns of ['pid', 'mnt', 'ipc', 'uts']) t.not(nsOf(app, ns), nsOf(runtimePid, ns), `${h.host}: the app has its own ${ns} namespace`);
    t.equal(nsOf(app, 'net'), nsOf(runtimePid, 'net'), `${h.host}: the host network`);
    const config = JSON.parse((await sshRun(lab, hostOf(h.host), `cat /var/lib/vz/bundles/web/${h.apps[0].version}/config.json`)).stdout);
    t.equal(config.annotations['vz.runtime'], 'runc', `${h.host}: config.json written for runc`);
  }
  const hostConfig = JSON.parse((await sshRun(lab, init, 'cat /var/lib/vz/host.json')).stdout);
  t.equal(hostConfig.runtime, 'runc', 'the host config records the runtime');
  t.match((await run('logs', 'web', '-n', '1000')).stdout, new RegExp(`${init.name}.*v1 up in ${init.name}`), 'logs: the program output (its own uts namespace keeps the host name)');

  // kill -9 of the container's program (PID 1 of its namespace): runc exits with it, init / the supervisor respawn.
  for (const h of first) {
    const runtimePid = runtimeOf(h.host, h.apps[0])!;
    process.kill(children(runtimePid)[0], 'SIGKILL');
    const again = await waitFor(async () => {
      const row = (await rowsOf(lab, flags, 'web')).find((x) => x.host === h.host)?.apps[0];
      const now = runtimeOf(h.host, row);
      return now !== undefined && now !== runtimePid ? now : undefined;
    });
    t.ok(again, `${h.host} (${h.host === init.name ? 'init' : 'supervisor'} mode): respawned under a new runc after kill -9`);
  }

  // stop stays stopped: no runc, no runc container, no app cgroup left.
  const stop = await run('stop', 'web');
  t.equal(stop.exitCode, 0, stop.stderr + stop.stdout);
  await new Promise((r) => setTimeout(r, 3_000));
  for (const h of await rowsOf(lab, flags, 'web')) t.match(h.apps[0], { state: /stopped|off|exited/ }, `${h.host}: stopped, still after 3 s`);
  for (const host of [init, sup]) {
    const list = await sshRun(lab, host, 'runc --root /run/runch/.runc list -q');
    t.equal(list.stdout.trim(), '', `${host.name}: runc has no container left`);
  }
  t.same(vzCgroups().filter((d) => existsSync(join(d, init.name, 'web')) || existsSync(join(d, sup.name, 'web'))), [], 'the app cgroups went with the containers');

  // deploy v1, then v2, then roll back to v1: all under runc.
  const deployImage = async (image: string) => {
    const manifest = join(dir, 'web.yml');
    writeFileSync(manifest, `app: web\nimage: ${image}\nreplicas: 2\nenv: { GREETING: deployed }\nrolling: { batch: 2, minUptime: 2, timeout: 60 }\n`);
    return run('deploy', manifest);
  };
  const deploy1 = await deployImage(v1);
  t.equal(deploy1.exitCode, 0, deploy1.stderr + deploy1.stdout);
  const deploy = await deployImage(v2);
  t.equal(deploy.exitCode, 0, deploy.stderr + deploy.stdout);
  const deployed = await waitFor(running);
  const digest = (path: string) => path.split('/').pop()!.slice(0, 16);
  t.same(deployed?.map((h) => h.apps[0].version.slice(0, 16)), [digest(v2), digest(v2)], 'deployed: v2 on both');
  const rollback = await run('rollback', 'web');
  t.equal(rollback.exitCode, 0, rollback.stderr + rollback.stdout);
  const back = await waitFor(running);
  t.same(back?.map((h) => h.apps[0].version.slice(0, 16)), [digest(v1), digest(v1)], 'rolled back: v1 on both');
  for (const h of back ?? []) t.equal(comm(runtimeOf(h.host, h.apps[0])!), 'runc', `${h.host}: still under runc`);
  t.match((await run('logs', 'web', '-n', '5')).stdout, /v1 deployed/);
  await run('stop', 'web');
});

/** A process's parent (machine pids). */
const ppidOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
};

/**
 * The cgroup directories (on this test's cgroup mounts) a process is in that runc made for an app: `.../vz/<host>/<app>`
 * in each hierarchy runc used. /proc/PID/cgroup, read from the machine's cgroup namespace, names them machine-wide,
 * also for a process in a systemd host's own cgroup namespace.
 */
function appCgroups(pid: number, host: string, app: string): string[] {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => /^cgroup2? /.test(l.split(' - ')[1] ?? '')).map((l) => l.split(' ')[4]);
  const paths = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').map((l) => l.split(':').slice(2).join(':')).filter((p) => p.endsWith(`/vz/${host}/${app}`));
  return [...new Set(paths.flatMap((p) => mounts.map((m) => join(m, p)).filter((d) => existsSync(d))))];
}

// issue 14 on the other inits: init mode's line is a systemd unit / an OpenRC service under supervise-daemon, whose
// main process is the launcher, which execs `runc run` in the foreground.
t.test('issue 14: vz_runtime runc in init mode on a systemd and an OpenRC host: start under runc, kill -9 respawned by the init, stop stays stopped', async (t) => {
  const dir = scratch(t);
  t.teardown(() => removeRuntimeCgroups(['vps1', 'vps2']));
  const lab = await startLab(t, { inits: ['systemd', 'openrc'] });
  const all = lab.hosts();
  const inventory = inventoryWith(lab.inventory, Object.fromEntries(all.map((h) => [h.name, { vz_runtime: 'runc' }])), join(dir, 'inventory.yml'));
  const flags = ['-i', inventory, '--config', join(lab.dir, 'vzmaster.json')];
  const run = (...args: string[]) => lab.run([...args, ...flags], 240_000);
  const image = busyboxImage(dir, 'v1', APP('v1'));
  const started = performance.now();

  // runc needs a cgroup mount (it makes a cgroup per container). The lab's OpenRC host has none, by design (docs/lab.md:
  // OpenRC's cgroups script would move its services into the machine's root cgroups); a real OpenRC host mounts them
  // with its `cgroups` service. Such a host is refused at apply in one line, nothing written, instead of a crash loop
  // (runc run failed: no cgroup mount found in mountinfo, at every respawn).
  const mounted = async (host: LabHostInfo) => (await sshRun(lab, host, "grep -cE ' - cgroup2? ' /proc/self/mountinfo")).stdout.trim() !== '0';
  const hosts: LabHostInfo[] = [];
  for (const host of all) {
    if (await mounted(host)) {
      hosts.push(host);
      continue;
    }
    const refused = await run('start', 'web', '--image', image, '--limit', host.name);
    t.not(refused.exitCode, 0, `${host.name} (${host.init}), no cgroup mount: refused`);
    t.match(refused.stdout, /vz_runtime runc: no cgroup file system is mounted on this host, and runc makes a cgroup for each container: mount them \(OpenRC: rc-update add cgroups sysinit; rc-service cgroups start\), or set vz_runtime: runch/, `${host.name}: one line naming the cause and the fixes`);
    const left = await sshRun(lab, host, 'ls /var/lib/vz/launch/web /etc/init.d/vz-web /var/lib/vz/bundles/web 2>&1; pgrep -x runc');
    t.equal(left.stdout.split('\n').filter((l) => !/No such file or directory/.test(l) && l !== '').length, 0, `${host.name}: nothing written, no runc: ${left.stdout}`);
    // Then what a real OpenRC host's `cgroups` service gives runc (legacy mode), reduced to the one hierarchy runc
    // requires: the machine's devices hierarchy, which the sysvinit lab hosts of the first test share whole.
    const mount = await sshRun(lab, host, 'mount -t tmpfs -o mode=755,nosuid,nodev,noexec vz-test-cgroup /sys/fs/cgroup && mkdir /sys/fs/cgroup/devices && mount -t cgroup -o devices,nosuid,nodev,noexec vz-test-devices /sys/fs/cgroup/devices');
    if (mount.exitCode === 0) hosts.push(host);
    else t.test(`${host.name} (${host.init}): the app under runc`, { skip: `this lab host has no cgroup mount, runc needs one ("runc run failed: no cgroup mount found in mountinfo"), and mounting the devices hierarchy failed: ${mount.stderr.trim()}` }, () => {});
  }
  t.not(hosts.length, 0, 'a host with cgroups runs the app');
  const start = await run('start', 'web', '--image', image, '--env', 'GREETING=hi', '--limit', hosts.map((h) => h.name).join(':'));
  t.equal(start.exitCode, 0, start.stderr + start.stdout);
  /** The machine pid of runc's foreground process for the host's row, when it runs a container. */
  const runtimeOf = (host: LabHostInfo, row: Row | undefined) => {
    const pid = row?.state === 'running' && row.pid ? machinePid(host, row.pid) : undefined;
    return pid !== undefined && children(pid).length > 0 ? pid : undefined;
  };
  const rowOf = async (host: LabHostInfo) => (await rowsOf(lab, flags, 'web')).find((h) => h.host === host.name)?.apps[0];
  // Who respawns it: systemd (the host's PID 1) runs it as vz-web.service's main process; on OpenRC it is the child
  // of the service's supervise-daemon.
  const initOf = async (host: LabHostInfo, runtimePid: number, row: Row) => {
    const parent = ppidOf(runtimePid);
    if (host.init === 'systemd') {
      const main = (await sshRun(lab, host, 'systemctl show -p MainPID --value vz-web.service')).stdout.trim();
      return parent === host.initPid && main === String(row.pid) ? 'main process of vz-web.service' : `child of ${cmdline(parent)}, unit's MainPID ${main}`;
    }
    return /^supervise-daemon vz-web /.test(cmdline(parent)) ? 'child of supervise-daemon vz-web' : `child of ${cmdline(parent)}`;
  };
  const expectedInit = (host: LabHostInfo) => (host.init === 'systemd' ? 'main process of vz-web.service' : 'child of supervise-daemon vz-web');
  const cgroups: Record<string, string[]> = {};

  for (const host of hosts) {
    const row = await waitFor(async () => {
      const r = await rowOf(host);
      return runtimeOf(host, r) === undefined ? undefined : r;
    });
    const runtimePid = runtimeOf(host, row);
    t.ok(runtimePid, `${host.name} (${host.init}): running under runc: ${JSON.stringify(row)}`);
    if (!runtimePid || !row) continue;
    t.equal(comm(runtimePid), 'runc', `${host.name} (${host.init}): the recorded pid is runc's foreground process`);
    t.equal(await initOf(host, runtimePid, row), expectedInit(host), `${host.name}: ${host.init} runs runc`);
    const app = children(runtimePid)[0];
    for (const ns of ['pid', 'mnt']) t.not(nsOf(app, ns), nsOf(runtimePid, ns), `${host.name} (${host.init}): the app has its own ${ns} namespace`);
    cgroups[host.name] = appCgroups(app, host.name, 'web');
    t.not(cgroups[host.name].length, 0, `${host.name} (${host.init}): the app is in a cgroup runc made for it: ${readFileSync(`/proc/${app}/cgroup`, 'utf8')}`);
  }

  // kill -9 of the app's program (PID 1 of its pid namespace): runc exits with it, the host's init starts the launcher again.
  for (const host of hosts) {
    const runtimePid = runtimeOf(host, await rowOf(host));
    if (!runtimePid) continue;
    process.kill(children(runtimePid)[0], 'SIGKILL');
    const again = await waitFor(async () => {
      const row = await rowOf(host);
      const now = runtimeOf(host, row);
      return now !== undefined && now !== runtimePid ? { now, row: row! } : undefined;
    });
    t.ok(again, `${host.name} (${host.init}): respawned under a new runc after kill -9`);
    if (again) t.same([comm(again.now), await initOf(host, again.now, again.row)], ['runc', expectedInit(host)], `${host.name}: the new runc is ${host.init}'s again`);
  }

  // stop stays stopped: no runc container, no app cgroup left.
  const stop = await run('stop', 'web', '--limit', hosts.map((h) => h.name).join(':'));
  t.equal(stop.exitCode, 0, stop.stderr + stop.stdout);
  await new Promise((r) => setTimeout(r, 3_000));
  for (const host of hosts) {
    t.match(await rowOf(host), { state: /stopped|off|exited/ }, `${host.name} (${host.init}): stopped, still after 3 s`);
    const list = await sshRun(lab, host, 'runc --root /run/runch/.runc list -q');
    t.same([list.exitCode, list.stdout.trim()], [0, ''], `${host.name} (${host.init}): runc has no container left: ${list.stderr}`);
    t.same((cgroups[host.name] ?? []).filter((d) => existsSync(d)), [], `${host.name} (${host.init}): the app's cgroup went with the container`);
  }
  t.comment(`start to stopped: ${Math.round(performance.now() - started)} ms`);
});
