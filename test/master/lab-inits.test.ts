import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { execToFiles } from '../helpers/fixtures.ts';
import { alivePids, listening, startLab, vzmaster, type TestLab, sshRun, downLeavesNothing } from '../helpers/lab.ts';

// issue 13: lab hosts under every init (sysvinit, busybox, systemd, OpenRC), their loss and return, a clean down.

const ansibleBin = process.env.VZ_ANSIBLE ?? 'ansible';

/** One command on a host over ssh with the lab's key (what a person renting the VPS would do). */

/** Real ansible-core through the lab's own inventory and ansible.cfg. */
function ansible(lab: TestLab, args: string[]) {
  const home = join(lab.dir, '..', 'ansible-home');
  return execToFiles(ansibleBin, ['-i', lab.inventory, ...args], { dir: join(lab.dir, '..'), timeout: 90_000, env: { ANSIBLE_CONFIG: join(lab.dir, 'ansible.cfg'), HOME: home, ANSIBLE_LOCAL_TEMP: join(home, 'tmp'), ANSIBLE_SSH_CONTROL_PATH_DIR: join(home, 'cp') } });
}


function cgroup2Root(): string {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) if (line.split(' - ')[1]?.startsWith('cgroup2 ')) return line.split(' ')[4];
  throw new Error('no cgroup2 mount');
}

const dirs = (path: string) => (existsSync(path) ? readdirSync(path, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort() : []);

t.test('issue 13: a lab with one host of each init, its loss and return, a clean down', async (t) => {
  const cgroupRoot = cgroup2Root();
  const machineCgroups = { unified: dirs(cgroupRoot).filter((d) => !d.startsWith('vz-lab-')), systemd: dirs('/sys/fs/cgroup/systemd') };
  const lab = await startLab(t, { inits: ['sysvinit', 'busybox', 'systemd', 'openrc'] });
  const hosts = lab.hosts();
  t.same(hosts.map((h) => h.init), ['sysvinit', 'busybox', 'systemd', 'openrc'], 'lab.json records the init per host');
  const [, , systemd, openrc] = hosts;
  t.match(systemd.cgroup, /\/vz-lab-[0-9a-f]{8}-vps3$/, 'the systemd host has its own cgroup subtree');
  t.match(readFileSync(lab.inventory, 'utf8'), /vps3:\s+ansible_host: \S+\s+ansible_port: \d+\s+vz_lab_init: systemd\s+vz_lab_tree: machine/, 'the inventory records each host\'s init and root (host vars)');

  const ping = await ansible(lab, ['all', '-m', 'ping', '-o']);
  t.equal(ping.exitCode, 0, `ansible all -m ping: ${ping.stderr}`);
  for (const h of hosts) t.match(ping.stdout, new RegExp(`^${h.name} \\| SUCCESS .*"ping": "pong"`, 'm'), `${h.name} (${h.init}) answers ansible's ping`);

  const nodes = await lab.run(['nodes', '--json']);
  t.equal(nodes.exitCode, 0, `nodes: ${nodes.stderr}`);
  t.same((JSON.parse(nodes.stdout) as { nodes: { host: string; status: string; facts?: { init: string } }[] }).nodes.map((n) => [n.host, n.status, n.facts?.init]), [
    ['vps1', 'ok', 'sysvinit'],
    ['vps2', 'ok', 'busybox'],
    ['vps3', 'ok', 'systemd'],
    ['vps4', 'ok', 'openrc'],
  ], 'vzmaster nodes detects each init on the host');

  // systemd: booted to "running" as PID 1 of its namespaces, in its own cgroup subtree, nothing of the machine's units.
  const sd = await sshRun(lab, systemd, 'systemctl is-system-running; readlink /proc/1/exe; cat /proc/1/cgroup | grep "^0::"; findmnt -n -o FSTYPE /sys/fs/cgroup; systemctl list-units --type=service --state=running --no-legend --plain | cut -d" " -f1; echo "container=$(tr "\\0" "\\n" </proc/1/environ | sed -n "s/^container=//p")"');
  t.equal(sd.exitCode, 0, sd.stderr);
  const [sdState, sdExe, sdCgroup, sdFs, ...sdRest] = sd.stdout.trim().split('\n');
  t.equal(sdState, 'running', 'systemctl is-system-running: running');
  t.match(sdExe, /\/systemd$/, 'PID 1 is systemd');
  t.equal(sdCgroup, '0::/init.scope', 'PID 1 sits at the root of its own cgroup namespace');
  t.equal(sdFs, 'cgroup2', 'cgroup2 is premounted inside');
  t.ok(sdRest.includes('ssh.service') && !sdRest.some((u) => /postgresql|getty|timesyncd|cron/.test(u)), `only the lab's units run: ${sdRest.join(' ')}`);
  t.ok(sdRest.includes('container=vz'), 'container=vz is in PID 1\'s environment');
  t.same(dirs(cgroupRoot).filter((d) => !d.startsWith('vz-lab-')), machineCgroups.unified, 'no slice or scope in the machine\'s cgroup2 root');
  t.same(dirs('/sys/fs/cgroup/systemd'), machineCgroups.systemd, 'nothing in the machine\'s name=systemd hierarchy');
  t.ok(existsSync(join(systemd.cgroup!, 'system.slice')), 'systemd made its slices in the host\'s subtree');

  // OpenRC: busybox init runs openrc; sshd is an OpenRC service under supervise-daemon, which respawns it.
  const rc = await sshRun(lab, openrc, 'cat /proc/1/comm; rc-service vz-lab-sshd status; ls /.dockerenv 2>/dev/null; grep -c cgroup /proc/mounts; tr "\\0" " " </proc/$(ps -o ppid= -p $(pgrep -o -x sshd) | tr -d " ")/cmdline | cut -d" " -f1');
  t.equal(rc.exitCode, 0, rc.stderr);
  t.same(rc.stdout.trim().split('\n').map((l) => l.trim()), ['busybox', '* status: started', '0', 'supervise-daemon'], 'busybox init, OpenRC service started, no /.dockerenv, no cgroup mounts, sshd under supervise-daemon');

  // Host loss and return on the systemd and OpenRC hosts; the disk stays.
  for (const host of [systemd, openrc]) {
    t.equal((await sshRun(lab, host, 'echo kept >/root/marker')).exitCode, 0);
    const stop = await lab.run(['lab', 'stop-host', host.name]);
    t.equal(stop.exitCode, 0, stop.stderr);
    t.notOk(listening(host.address, host.port), `${host.name}: gone after stop-host`);
    t.same(alivePids([host.pid!, host.initPid!]), [], `${host.name}: its unshare and init ended`);
    if (host.cgroup) t.notOk(existsSync(host.cgroup), `${host.name}: its cgroup subtree is removed`);
    t.match((await lab.run(['lab', 'status'])).stdout, new RegExp(`${host.name}\\s+down\\s+${host.init}`));
    const start = await lab.run(['lab', 'start-host', host.name]);
    t.equal(start.exitCode, 0, start.stderr);
    const back = await sshRun(lab, host, host.init === 'systemd' ? 'cat /root/marker; systemctl is-system-running' : 'cat /root/marker; rc-service vz-lab-sshd status');
    t.same(back.stdout.trim().split('\n'), host.init === 'systemd' ? ['kept', 'running'] : ['kept', ' * status: started'], `${host.name}: booted again from its disk`);

    t.equal((await lab.run(['lab', 'freeze-host', host.name])).exitCode, 0);
    t.match((await lab.run(['lab', 'status'])).stdout, new RegExp(`${host.name}\\s+frozen\\s+${host.init}`), `${host.name}: frozen`);
    t.equal((await lab.run(['lab', 'thaw-host', host.name])).exitCode, 0);
    const thawed = await lab.run(['nodes', '--limit', host.name, '--json']);
    t.equal(thawed.exitCode, 0, `${host.name} answers after thaw-host: ${thawed.stderr}`);
  }

  await downLeavesNothing(t, lab);
  t.notOk(existsSync(lab.dir), 'the lab dir is gone');
});

t.test('issue 13: a bad --inits/--trees combination is one line, and nothing is made', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'vz-lab-bad-'));
  t.teardown(() => rmSync(parent, { recursive: true, force: true }));
  const dir = join(parent, 'lab');
  const cases: [string[], RegExp][] = [
    [['--inits', 'sysvinit,upstart'], /^vzmaster: --inits: "upstart" is not an init: use sysvinit, busybox, systemd, openrc\n$/],
    [['--inits', 'sysvinit,systemd', '--hosts', '3'], /^vzmaster: --inits names 2 hosts but --hosts is 3: give one word per host\n$/],
    [['--inits', 'sysvinit,,systemd'], /has an empty entry/],
    [['--inits', 'systemd', '--busybox', '1'], /drop --busybox/],
    [['--inits', 'openrc', '--trees', 'bullseye'], /^vzmaster: host 1: openrc runs only on the machine's own \/ \(the bullseye-amd64 tree holds no busybox\)/],
    [['--hosts', '2', '--trees', 'machine,sid'], /^vzmaster: --trees: "sid" is not a tree: use machine, or RELEASE\[-ARCH\]/],
    [['--hosts', '1', '--release', 'bookworm', '--arch', 'arm64'], /^vzmaster: --release\/--arch: "bookworm-arm64" is not a tree/],
    [['--trees', 'machine', '--release', 'bullseye'], /drop --release\/--arch, or drop --trees/],
  ];
  for (const [flags, message] of cases) {
    const up = await vzmaster(['lab', 'up', '--dir', dir, ...flags], { scratchDir: parent });
    t.equal(up.exitCode, 1, `${flags.join(' ')}: exit 1`);
    t.match(up.stderr, message, `${flags.join(' ')}: ${up.stderr.trim()}`);
    t.equal(up.stderr.trim().split('\n').length, 1, 'one line');
    t.notOk(existsSync(dir), 'no lab dir made');
  }
});
