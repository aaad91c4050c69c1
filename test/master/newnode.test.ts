import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { busyboxBundle, scratch } from '../helpers/fixtures.ts';
import { startLab } from '../helpers/lab.ts';

const VZIMAGE = resolve(import.meta.dirname, '../../dist/vzimage.cjs');

function sleeperImage(dir: string): string {
  const bundle = busyboxBundle(join(dir, 'app'), { args: ['sh', '-c', 'echo "up as $(id -u)"; exec sleep 1000'], env: ['PATH=/bin'] });
  execFileSync(VZIMAGE, ['pack', bundle, '-o', join(dir, 'images'), '--app', 'nn'], { stdio: 'ignore' });
  return join(dir, 'images', readdirSync(join(dir, 'images')).find((f) => f.endsWith('.tar.gz'))!);
}

const TREES = process.env.VZ_LAB_TREES ?? '/var/cache/vz-lab/trees';
// The fresh host's root: Debian 11's tree, which has no Node at all, so the master's own Node is packed and sent
// (the install-from-master path) on every machine. Outside CI, where the tree may not be built yet (about a minute,
// once: "bash .ci/run --setup-only"), the machine's own root, whose distro Node decides the path.
const BULLSEYE = existsSync(join(TREES, 'bullseye-amd64', 'usr', 'sbin', 'sshd')) || !!process.env.VZ_CI;

/** The version of the machine's /usr/bin/node, which a fresh host on the machine's root sees, if there is one. */
function distroNode(): string | undefined {
  try {
    return execFileSync('/usr/bin/node', ['--version'], { encoding: 'utf8', env: {} }).trim();
  } catch {
    return undefined;
  }
}

function recentEnough(version: string): boolean {
  const [major, minor] = version.slice(1).split('.').map(Number);
  return major > 18 || (major === 18 && minor >= 19);
}

/** A link exists even when its target (a path on a lab host) does not exist here. */
function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

t.test('newnode: a fresh VPS (root password only) becomes a host that deploys', async (t) => {
  const dir = scratch(t);
  const machineHadVzHome = existsSync('/home/vz');
  const machineHadRunchLink = isLink('/usr/local/bin/runch');
  // vps1 a ready host; vps2 fresh: root logs in by password only, nothing of vz on it, and no Node (bullseye's tree).
  const lab = await startLab(t, { hosts: 1, busybox: 0, fresh: 1, ...(BULLSEYE ? { freshTree: 'bullseye' } : {}) });
  const fresh = lab.hosts().find((h) => h.name === 'vps2')!;
  const hostDir = join(lab.dir, 'hosts', 'vps2');
  // A tree host's files are in its root overlay's upper layer; a host on the machine's root has its own dirs.
  const onHost = (path: string) => join(hostDir, ...(BULLSEYE ? ['upper', path] : [path === 'usr/local' ? 'usr-local' : path]));
  if (BULLSEYE) {
    t.equal(fresh.tree, 'bullseye-amd64', 'the fresh host is the bullseye tree');
    t.notOk(existsSync(join(TREES, 'bullseye-amd64', 'usr', 'bin', 'node')), 'which has no Node of its own');
  } else t.comment(`the bullseye tree is not built in ${TREES}: the fresh host is on the machine's root, whose distro Node decides whether the master's is sent`);
  const password = readFileSync(join(hostDir, 'root-password'), 'utf8').trim();
  const inventoryBefore = readFileSync(lab.inventory, 'utf8');
  t.notMatch(inventoryBefore, /vps2/, 'a fresh host is not in the inventory');

  // Bad input: one line each, nothing written.
  const bad: [string[], RegExp][] = [
    [['newnode'], /name the host's address/],
    [['newnode', fresh.address], /--vendor is needed/],
    [['newnode', '1.2.3.4;id', '--vendor', 'b'], /is not an IP address or host name/],
    [['newnode', fresh.address, '--vendor', 'b-c'], /--vendor "b-c" is invalid/],
    [['newnode', fresh.address, '--vendor', 'b', '--user', 'root'], /--user root defeats the point/],
    [['newnode', fresh.address, '--vendor', 'b', '--port', '99999'], /--port 99999 is not a port/],
    [['newnode', fresh.address, '--vendor', 'b', '--password-file', join(dir, 'missing')], /--password-file .* cannot be read/],
  ];
  for (const [args, message] of bad) {
    const result = await lab.run(args);
    t.equal(result.exitCode, 1, `${args.join(' ')} fails`);
    t.match(result.stderr, message, args.join(' '));
    t.equal(result.stderr.trim().split('\n').length, 1, 'in one line');
  }
  // No password and no key yet: told to pass -k.
  const noKey = await lab.run(['newnode', fresh.address, '--vendor', 'b', '--name', 'vps2', '-q'], 120_000);
  t.equal(noKey.exitCode, 1);
  t.match(noKey.stderr, /neither vz nor root logs in with .*: pass -k for a first login as root/);
  // A wrong password, piped to -k: refused by the host, nothing recorded.
  const wrong = join(dir, 'wrong');
  writeFileSync(wrong, 'not-the-password\n');
  const refused = await lab.run(['newnode', fresh.address, '--vendor', 'b', '--name', 'vps2', '-k', '-q'], 120_000, wrong);
  t.equal(refused.exitCode, 1);
  t.match(refused.stderr, /newnode 127\.0\.1\.\d+: look: .*(Permission denied|Invalid\/incorrect password)/);
  t.equal(readFileSync(lab.inventory, 'utf8'), inventoryBefore, 'the inventory is untouched after every failure');

  // The real thing: root's password piped to -k.
  const right = join(dir, 'right');
  writeFileSync(right, `${password}\n`);
  const made = await lab.run(['newnode', fresh.address, '--vendor', 'b', '--name', 'vps2', '-k', '--json'], 300_000, right);
  t.equal(made.exitCode, 0, made.stderr);
  t.notMatch(made.stderr, /^ansible: /m, `first contact: no ansible warning (root's remote_tmp is made first): ${made.stderr}`);
  const report = JSON.parse(made.stdout);
  t.equal(report.facts.init, 'sysvinit', 'init detected');
  t.match(report.facts.os, BULLSEYE ? /^Debian GNU\/Linux 11 \(bullseye\)$/ : /Debian/, 'OS detected');
  // A host without a Node >= 18.19 gets the master's own, packed and sent; a distro Node new enough is kept (issue 12:
  // test/master/i686.test.ts has the i386 host's nodejs 18.20).
  const distro = BULLSEYE ? undefined : distroNode();
  if (distro && recentEnough(distro)) {
    t.equal(report.facts.node, distro, `the distro Node ${distro} (>= 18.19) is what the host runs`);
    t.equal(report.nodeInstalled, undefined, 'a distro Node new enough is kept, none installed');
  } else {
    t.equal(report.facts.node, process.version, "the host runs the master's Node");
    t.equal(report.nodeInstalled, process.version, 'installed from the master (the fresh host had none recent enough)');
    t.ok(report.steps.some((s: { label: string; status: string }) => s.label === 'node' && s.status === 'changed'), 'the node step sent it');
  }
  t.match(report.facts.runch, /^\d+\.\d+\.\d+/, 'runch runs there');
  t.equal(report.inventoryChange, 'added');
  t.equal(existsSync(join(onHost('usr/local'), 'bin', 'node')), report.nodeInstalled !== undefined, 'an installed node went to the host\'s /usr/local, and only then');
  t.match(readFileSync(join(onHost('etc'), 'sudoers.d', 'vz-vz'), 'utf8'), /^vz ALL=\(ALL:ALL\) NOPASSWD: ALL$/m, 'passwordless sudo for vz');
  t.match(readFileSync(join(onHost('home'), 'vz', '.ssh', 'authorized_keys'), 'utf8'), /^ssh-ed25519 \S+ vzmaster$/m, 'the key is authorized');
  t.match(readFileSync(join(onHost('etc'), 'shadow'), 'utf8'), /^vz:\*:/m, 'vz has no password and is not locked');
  t.equal(existsSync('/home/vz'), machineHadVzHome, 'nothing landed in the machine\'s /home');
  const inventory = readFileSync(lab.inventory, 'utf8');
  t.match(inventory, /vendor_b:\n\s+hosts:\n\s+vps2:\n\s+ansible_host: 127\.0\.1\.\d+\n\s+ansible_port: 22\n\s+ansible_user: vz\n\s+ansible_become: true/, 'recorded in its vendor group, as vz with sudo');
  t.ok(inventory.startsWith(inventoryBefore.split('\n').slice(0, 3).join('\n')), 'the rest of the inventory stays');

  // Again, without the password: the key works now, nothing changes, the inventory stays byte for byte.
  const again = await lab.run(['newnode', fresh.address, '--vendor', 'b', '--name', 'vps2', '--json'], 120_000);
  t.equal(again.exitCode, 0, again.stderr);
  t.equal(JSON.parse(again.stdout).changed, false, 'a rerun changes nothing');
  t.equal(readFileSync(lab.inventory, 'utf8'), inventory);

  // The new host is an ordinary host now: nodes sees it, an app starts there through sudo and runs.
  const nodes = await lab.run(['nodes', '--json']);
  t.equal(nodes.exitCode, 0, nodes.stderr);
  const vps2 = JSON.parse(nodes.stdout).nodes.find((n: { host: string }) => n.host === 'vps2');
  t.equal(vps2.status, 'ok');
  const started = await lab.run(['start', 'nn', '--image', sleeperImage(dir), '--limit', 'vps2'], 240_000);
  t.equal(started.exitCode, 0, started.stderr);
  let state = '';
  for (let i = 0; i < 40 && state !== 'running'; i++) {
    const status = JSON.parse((await lab.run(['status', 'nn', '--json'])).stdout);
    state = status.hosts.find((h: { host: string }) => h.host === 'vps2')?.apps[0]?.state ?? '';
    if (state !== 'running') await new Promise((r) => setTimeout(r, 500));
  }
  t.equal(state, 'running', 'the app runs on the new host');
  // vps1 never ran anything (no runch there): it is simply not among the hosts with logs.
  const logs = await lab.run(['logs', 'nn']);
  t.equal(logs.exitCode, 0, logs.stderr);
  t.match(logs.stdout, /^vps2 \| .*up as 0/, 'it ran, as root per its config');
  t.notMatch(logs.stdout, /vps1/);
  const unknown = await lab.run(['logs', 'nosuchapp']);
  t.equal(unknown.exitCode, 1);
  t.match(unknown.stderr, /^vzmaster: no host has a log of app "nosuchapp": check the name with "vzmaster status"\n$/);

  // A vendor that installs the key for root (vps1 takes the lab key as root): no password needed; Node is already
  // recent enough there (the machine's), so none is installed; the host's entry moves from root to vz with sudo.
  const ready = lab.hosts().find((h) => h.name === 'vps1')!;
  const byKey = await lab.run(['newnode', ready.address, '--vendor', 'a', '--name', 'vps1', '--json'], 120_000);
  t.equal(byKey.exitCode, 0, byKey.stderr);
  const keyReport = JSON.parse(byKey.stdout);
  t.equal(keyReport.nodeInstalled, undefined, 'a recent Node is left alone');
  t.equal(keyReport.inventoryChange, 'updated');
  t.match(readFileSync(lab.inventory, 'utf8'), /vps1:\n\s+ansible_host: 127\.0\.1\.\d+\n\s+ansible_port: 22\n\s+ansible_user: vz\n\s+ansible_become: true/);
  t.ok(isLink(join(lab.dir, 'hosts', 'vps1', 'usr-local-upper', 'bin', 'runch')), 'the runch link went to the host\'s /usr/local layer');
  t.equal(isLink('/usr/local/bin/runch'), machineHadRunchLink, 'not to the machine\'s');
  const all = JSON.parse((await lab.run(['nodes', '--json'])).stdout);
  t.same(all.nodes.map((n: { host: string; status: string }) => [n.host, n.status]), [['vps1', 'ok'], ['vps2', 'ok']], 'both hosts answer as vz through sudo');
});
