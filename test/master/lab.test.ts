import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { alivePids, listening, processesMentioning, startLab } from '../helpers/lab.ts';

interface Node {
  host: string;
  status: string;
  groups: string[];
  facts?: { init: string; os: string; mem_kb: number; disk_free_kb: number; runch: string; hostname: string };
}

t.test('a lab of 3 hosts: nodes, host loss and return, a clean down', async (t) => {
  const lab = await startLab(t, { hosts: 3, busybox: 1 });
  const hosts = lab.hosts();
  t.same(hosts.map((h) => h.init), ['sysvinit', 'sysvinit', 'busybox']);
  t.same(new Set(hosts.map((h) => h.vendor)).size, 3, 'one vendor group per host');
  for (const h of hosts) t.match(h.address, /^127\.0\.1\.\d+$/, 'a 127.0.1.N address');
  // Hosts live for hours: none may hold a pipe or socket inherited from whoever ran "lab up" (its EOF would never come).
  for (const pid of lab.pids()) {
    const held = readdirSync(`/proc/${pid}/fd`).map((fd) => readlinkSafe(`/proc/${pid}/fd/${fd}`)).filter((l) => /^(pipe|socket):/.test(l));
    t.same(held, [], `pid ${pid} holds no inherited pipe or socket`);
  }

  const all = await lab.run(['nodes', '--json']);
  t.equal(all.exitCode, 0, `nodes ok: ${all.stderr}`);
  const nodes = (JSON.parse(all.stdout) as { nodes: Node[] }).nodes;
  t.same(nodes.map((n) => [n.host, n.status, n.facts?.init, n.facts?.hostname]), [
    ['vps1', 'ok', 'sysvinit', 'vps1'],
    ['vps2', 'ok', 'sysvinit', 'vps2'],
    ['vps3', 'ok', 'busybox', 'vps3'],
  ]);
  for (const n of nodes) {
    t.ok(n.facts!.mem_kb > 0 && n.facts!.disk_free_kb > 0, `${n.host}: RAM and free disk`);
    t.match(n.facts!.os, /\S/, `${n.host}: an OS name`);
    t.equal(n.facts!.runch, 'none', `${n.host}: no runch installed yet`);
  }

  // init, not vzmaster, keeps sshd alive: SIGKILL a host's sshd and its init starts a new one (busybox after ~1 s).
  for (const h of [hosts[0], hosts[2]]) {
    const before = sshdOf(h.initPid!);
    t.ok(before, `${h.name}: sshd runs under its init`);
    process.kill(before!, 'SIGKILL');
    const deadline = Date.now() + 20_000;
    let after: number | undefined;
    while (Date.now() < deadline) {
      after = sshdOf(h.initPid!);
      if (after && after !== before && listening(h.address, h.port)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.ok(after && after !== before && listening(h.address, h.port), `${h.name} (${h.init}): init respawned sshd`);
  }

  const table = await lab.run(['nodes']);
  t.equal(table.exitCode, 0);
  t.match(table.stdout, /^HOST\s+GROUPS\s+ADDRESS\s+STATE\s+OS\s+INIT/m, 'a table with a header');
  t.match(table.stdout, /summary: ok=3 changed=0 failed=0 unreachable=0/);

  const hostile = await lab.run(['lab', 'stop-host', `vps1; kill ${process.pid}`]);
  t.equal(hostile.exitCode, 1, 'a hostile host name is refused');
  t.match(hostile.stderr, /no host named "vps1; kill \d+" in this lab: hosts are vps1, vps2, vps3/);

  const stop = await lab.run(['lab', 'stop-host', 'vps2']);
  t.equal(stop.exitCode, 0, stop.stderr);
  t.notOk(listening(hosts[1].address, hosts[1].port), 'vps2 no longer listens');
  const lost = await lab.run(['nodes', '--json'], 60_000);
  t.equal(lost.exitCode, 4, 'exit 4: a host is unreachable');
  t.ok(lost.ms < 45_000, `unreachable reported quickly (${Math.round(lost.ms)} ms)`);
  const lostNodes = (JSON.parse(lost.stdout) as { nodes: Node[] }).nodes;
  t.same(lostNodes.map((n) => [n.host, n.status]), [['vps1', 'ok'], ['vps2', 'unreachable'], ['vps3', 'ok']]);
  const status = await lab.run(['lab', 'status']);
  t.equal(status.exitCode, 4, 'lab status: not every host is up');
  t.match(status.stdout, /vps2\s+down\s+sysvinit/);

  const start = await lab.run(['lab', 'start-host', 'vps2']);
  t.equal(start.exitCode, 0, start.stderr);
  const back = await lab.run(['nodes', '--limit', 'vendor_b', '--json']);
  t.equal(back.exitCode, 0, back.stderr);
  t.same((JSON.parse(back.stdout) as { nodes: Node[] }).nodes.map((n) => [n.host, n.status, n.facts?.init]), [['vps2', 'ok', 'sysvinit']], '--limit by vendor group');

  // The same hosts through a hand-written INI inventory (ansible's other standard format).
  const ini = join(lab.dir, '..', 'hosts.ini');
  const lines = ['[all:vars]', 'ansible_user=root', `ansible_ssh_private_key_file="${join(lab.dir, 'ssh/id_ed25519')}"`, 'ansible_python_interpreter=/usr/bin/python3'];
  for (const h of hosts) lines.push(`[${h.vendor}]`, `${h.name} ansible_host=${h.address} ansible_port=${h.port}`);
  writeFileSync(ini, `${lines.join('\n')}\n`);
  const viaIni = await lab.run(['nodes', '-i', ini, '--config', join(lab.dir, 'vzmaster.json'), '--json']);
  t.equal(viaIni.exitCode, 0, `nodes -i hosts.ini: ${viaIni.stderr}`);
  t.same((JSON.parse(viaIni.stdout) as { nodes: Node[] }).nodes.map((n) => [n.host, n.status, n.groups]), hosts.map((h) => [h.name, 'ok', [h.vendor]]));

  const nomatch = await lab.run(['nodes', '--limit', 'vendor_zz']);
  t.equal(nomatch.exitCode, 1, 'a limit that matches nothing is an error, not an empty success');
  t.match(nomatch.stderr, /^vzmaster: no host matched --limit "vendor_zz" in inventory .*\n$/);

  const again = await lab.run(['lab', 'up', '--dir', lab.dir]);
  t.equal(again.exitCode, 1, 'a second lab up in the same dir is refused');
  t.match(again.stderr, /a lab is already up in .*: run "vzmaster lab down/);

  // A frozen VPS accepts TCP and never answers: ssh keepalives and timeouts must turn it into "unreachable".
  t.equal((await lab.run(['lab', 'freeze-host', 'vps3'])).exitCode, 0);
  t.match((await lab.run(['lab', 'status'])).stdout, /vps3\s+frozen\s+busybox/);
  const frozen = await lab.run(['nodes', '--json'], 90_000);
  t.equal(frozen.exitCode, 4, 'exit 4 with a frozen host');
  t.ok(frozen.ms < 60_000, `a frozen host does not hang the run (${Math.round(frozen.ms)} ms)`);
  t.same((JSON.parse(frozen.stdout) as { nodes: Node[] }).nodes.map((n) => [n.host, n.status]), [['vps1', 'ok'], ['vps2', 'ok'], ['vps3', 'unreachable']]);
  t.equal((await lab.run(['lab', 'thaw-host', 'vps3'])).exitCode, 0);
  const thawed = await lab.run(['nodes', '--limit', 'vps3', '--json']);
  t.equal(thawed.exitCode, 0, `vps3 answers again: ${thawed.stderr}`);

  const pids = lab.pids();
  t.equal(pids.length, 6, 'unshare + init per host recorded');
  const down = await lab.run(['lab', 'down', '--dir', lab.dir]);
  t.equal(down.exitCode, 0, down.stderr);
  t.same(alivePids(pids), [], 'no lab process left');
  t.same(processesMentioning(lab.dir), [], 'no process mentions the lab dir (ssh masters included)');
  for (const h of hosts) t.notOk(listening(h.address, h.port), `${h.address}:${h.port} closed`);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(lab.dir));
  t.same(mounts, [], 'no mount left');
  t.notOk(existsSync(lab.dir), 'lab dir removed');
  for (const h of hosts) t.notOk(existsSync(`/run/lock/vz-lab-${h.address}.claim`), `${h.address} released`);
});

function readlinkSafe(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

/** The sshd listener a host's init started (a child of that init). */
function sshdOf(initPid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${initPid}/task/${initPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return children.find((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sshd') && alivePids([pid]).length === 1;
      } catch {
        return false;
      }
    });
  } catch {
    return undefined;
  }
}
