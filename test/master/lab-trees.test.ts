import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { execToFiles } from '../helpers/fixtures.ts';
import { startLab, sshRun, downLeavesNothing } from '../helpers/lab.ts';

// issue 13 (and issue 12's i686 host): lab hosts whose root is a tree of another Debian release or of i386, with its
// own glibc, python, sshd and init.

const TREES = process.env.VZ_LAB_TREES ?? '/var/cache/vz-lab/trees';
const NEEDED = ['bullseye-amd64', 'bookworm-i386'];
const ansibleBin = process.env.VZ_ANSIBLE ?? 'ansible';



/** What the machine itself runs, to tell a tree host's own from it. */
const machine = {
  python: execFileSync('python3', ['--version'], { encoding: 'utf8' }).trim(),
  glibc: execFileSync('ldd', ['--version'], { encoding: 'utf8' }).split('\n')[0],
};

// Outside CI a missing tree skips (with the reason): building one takes about a minute. Under CI (.ci/run built them)
// the test runs, and lab up would build a missing tree itself.
const missing = NEEDED.filter((tree) => !existsSync(join(TREES, tree, 'usr', 'sbin', 'sshd')));
const skip = missing.length > 0 && !process.env.VZ_CI ? `trees ${missing.join(', ')} are not built in ${TREES}: run "bash .ci/run --setup-only" (about a minute per tree, once)` : false;
t.test('issue 13: hosts of bullseye and of Debian 12 i386, with their own userland, come up, answer and go', { skip }, async (t) => {
  const lab = await startLab(t, { inits: ['sysvinit', 'sysvinit', 'systemd'], trees: ['bullseye', 'bookworm-i386', 'bullseye'], fresh: 1, freshTree: 'bookworm-i386' });
  const all = lab.hosts();
  t.same(all.map((h) => [h.init, h.tree]), [['sysvinit', 'bullseye-amd64'], ['sysvinit', 'bookworm-i386'], ['systemd', 'bullseye-amd64'], ['sysvinit', 'bookworm-i386']], 'lab.json records each host\'s tree');
  const hosts = all.slice(0, 3);
  const [bullseye, i386, bullseyeSystemd, freshI386] = all;

  // A fresh i386 VPS for newnode (issue 12's i686 host): root's password only, no key, not in the inventory.
  const password = readFileSync(join(lab.dir, 'hosts', freshI386.name, 'root-password'), 'utf8').trim();
  const byPassword = await execToFiles('sshpass', ['-e', 'ssh', '-p', String(freshI386.port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'PubkeyAuthentication=no', `root@${freshI386.address}`, 'uname -m; test -e /root/.ssh/authorized_keys || echo no-key'], { dir: join(lab.dir, '..'), timeout: 30_000, env: { SSHPASS: password } });
  t.same(byPassword.stdout.trim().split('\n'), ['i686', 'no-key'], `the fresh i386 host takes root's password: ${byPassword.stderr}`);
  t.not((await sshRun(lab, freshI386, 'true')).exitCode, 0, 'and no key');
  t.notMatch(readFileSync(lab.inventory, 'utf8'), new RegExp(`${freshI386.name}:`), 'it is not in the inventory until newnode adds it');

  const home = join(lab.dir, '..', 'ansible-home');
  const ping = await execToFiles(ansibleBin, ['-i', lab.inventory, 'all', '-m', 'ping', '-o'], { dir: join(lab.dir, '..'), timeout: 90_000, env: { ANSIBLE_CONFIG: join(lab.dir, 'ansible.cfg'), HOME: home, ANSIBLE_LOCAL_TEMP: join(home, 'tmp') } });
  t.equal(ping.exitCode, 0, `ansible all -m ping: ${ping.stderr}`);
  for (const h of hosts) t.match(ping.stdout, new RegExp(`^${h.name} \\| SUCCESS .*"ping": "pong"`, 'm'), `${h.name} (${h.tree}) answers ansible's ping with its own python`);

  const nodes = await lab.run(['nodes', '--json']);
  t.equal(nodes.exitCode, 0, nodes.stderr);
  t.same((JSON.parse(nodes.stdout) as { nodes: { host: string; status: string; facts?: { init: string; os: string } }[] }).nodes.map((n) => [n.host, n.status, n.facts?.init, n.facts?.os]), [
    ['vps1', 'ok', 'sysvinit', 'Debian GNU/Linux 11 (bullseye)'],
    ['vps2', 'ok', 'sysvinit', 'Debian GNU/Linux 12 (bookworm)'],
    ['vps3', 'ok', 'systemd', 'Debian GNU/Linux 11 (bullseye)'],
  ], 'vzmaster nodes: the init and the OS of each tree');

  const userland = 'python3 --version; ldd --version | head -n 1; uname -m; dpkg --print-architecture';
  const old = (await sshRun(lab, bullseye, userland)).stdout.trim().split('\n');
  t.match(old[0], /^Python 3\.9\./, `bullseye's python: ${old[0]}`);
  t.match(old[1], /GLIBC 2\.31/, `bullseye's glibc: ${old[1]}`);
  t.not(old[0], machine.python, 'not the machine\'s python');
  t.not(old[1], machine.glibc, 'not the machine\'s glibc');

  const ia32 = await sshRun(lab, i386, `${userland}; file -L /bin/sh 2>/dev/null || od -An -tx1 -j4 -N1 /bin/sh; node --version`);
  t.equal(ia32.exitCode, 0, ia32.stderr);
  const [, , arch, dpkgArch, elfClass, node] = ia32.stdout.trim().split('\n');
  t.equal(arch, 'i686', 'uname -m on the i386 host: i686 (its init runs under the linux32 personality)');
  t.equal(dpkgArch, 'i386', 'dpkg --print-architecture: i386');
  t.equal(elfClass.trim(), '01', 'its /bin/sh is a 32-bit ELF');
  t.match(node, /^v18\./, `Debian 12 i386's own nodejs: ${node}`);

  const sd = await sshRun(lab, bullseyeSystemd, 'systemctl is-system-running; systemctl --version | head -n 1');
  t.same(sd.stdout.trim().split('\n').map((l) => l.split(' (')[0]), ['running', 'systemd 247'], 'bullseye\'s own systemd 247 boots to running');

  // The tree is shared read-only: what a host writes stays in its own layer.
  t.equal((await sshRun(lab, bullseyeSystemd, 'echo mine >/root/marker')).exitCode, 0);
  t.notOk(existsSync(join(TREES, 'bullseye-amd64', 'root', 'marker')), 'the cached tree is untouched');
  t.equal((await lab.run(['lab', 'stop-host', bullseyeSystemd.name])).exitCode, 0);
  const start = await lab.run(['lab', 'start-host', bullseyeSystemd.name]);
  t.equal(start.exitCode, 0, start.stderr);
  t.same((await sshRun(lab, bullseyeSystemd, 'cat /root/marker; systemctl is-system-running')).stdout.trim().split('\n'), ['mine', 'running'], 'it boots again from its own disk');
  t.notOk(existsSync(join(TREES, 'bullseye-amd64', 'root', 'marker')), 'the other bullseye host does not see it either');
  t.equal((await sshRun(lab, bullseye, 'test ! -e /root/marker && echo absent')).stdout.trim(), 'absent', 'nor does the other bullseye host');

  await downLeavesNothing(t, lab);
});
