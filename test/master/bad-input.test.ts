import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { vzmaster } from '../helpers/lab.ts';

const dir = mkdtempSync(join(tmpdir(), 'vz-master-bad-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const state = join(dir, 'state');
const canary = join(dir, 'canary');
// No lab here: VZ_LAB_DIR points at nothing, and -i inventories get their own state dir.
const env = { VZ_LAB_DIR: join(dir, 'no-lab'), VZ_MASTER_STATE: state };

function inventory(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** One clear line on stderr, exit 1, nothing run and nothing written. */
type Test = import('tap').Test;

async function refused(t: Test, args: string[], pattern: RegExp, extraEnv: Record<string, string> = {}) {
  const result = await vzmaster(args, { env: { ...env, ...extraEnv }, scratchDir: dir });
  t.equal(result.exitCode, 1, `exit 1 for ${args.join(' ')}`);
  t.match(result.stderr, pattern, 'names the problem');
  t.equal(result.stderr.trim().split('\n').length, 1, 'one line');
  t.notOk(existsSync(state), 'no state written');
  t.notOk(existsSync(canary), 'nothing ran');
}

t.test('inventories', async (t) => {
  await refused(t, ['nodes', '-i', join(dir, 'missing.ini')], /inventory .*missing\.ini does not exist: pass -i FILE/);
  // issue 10: read by ansible-inventory, so a directory is an inventory too, and the parser's complaint is the message.
  mkdirSync(join(dir, 'empty-dir'));
  await refused(t, ['nodes', '-i', join(dir, 'empty-dir')], /empty-dir cannot be read: No inventory was parsed/);
  await refused(t, ['nodes', '-i', inventory('header.ini', '[vendor_a\nvps1 ansible_host=127.0.1.9\n')], /header\.ini cannot be read: ini plugin: /);
  await refused(t, ['nodes', '-i', inventory('quote.ini', '[vendor_a]\nvps1 ansible_host="127.0.1.9\n')], /quote\.ini cannot be read: ini plugin: .*No closing quotation/);
  await refused(t, ['nodes', '-i', inventory('novalue.ini', '[vendor_a]\nvps1 ansible_host\n')], /ini plugin: .*key=value .*ansible_host/);
  await refused(t, ['nodes', '-i', inventory('noaddr.ini', '[vendor_a]\nweb1 ansible_user=root\n')], /host "web1" has no address: set ansible_host=<ip>/);
  await refused(t, ['nodes', '-i', inventory('port.ini', '[vendor_a]\nweb[1:3] ansible_host=127.0.1.9 ansible_port=99999\n')], /host "web1": ansible_port 99999 is not a port/);
  await refused(t, ['nodes', '-i', inventory('empty.ini', '# nothing\n')], /lists no hosts/);
  await refused(t, ['nodes', '-i', inventory('bad.yml', 'all:\n  hosts: [a, b]\n')], /bad\.yml cannot be read: yaml plugin: Invalid "hosts" entry/);
  await refused(t, ['nodes', '-i', inventory('syntax.yml', 'all:\n  hosts:\n   - a: [\n')], /syntax\.yml cannot be read: yaml plugin: .*YAML/);
  await refused(t, ['nodes', '-i', inventory('typo.yml', 'all:\n  hostz:\n    a:\n')], /typo\.yml/);
  const hostile = `all:\n  hosts:\n    "a b; touch ${canary}":\n      ansible_host: 127.0.1.9\n`;
  await refused(t, ['nodes', '-i', inventory('hostile.yml', hostile)], /host name "a b; touch .*" is invalid/);
  const hostileAddress = `[vendor_a]\nweb1 ansible_host='127.0.1.9;touch ${canary}'\n`;
  await refused(t, ['nodes', '-i', inventory('hostile-addr.ini', hostileAddress)], /host "web1" has an invalid ansible_host/);
});

t.test('flags and verbs', async (t) => {
  await refused(t, ['frobnicate'], /unknown command "frobnicate": see "vzmaster --help"/);
  await refused(t, ['nodes', '--bogus'], /nodes: Unknown option '--bogus'/);
  await refused(t, ['nodes', 'extra'], /nodes: unexpected argument "extra"/);
  await refused(t, ['nodes', '-i', inventory('ok.ini', '[vendor_a]\nweb1 ansible_host=127.0.1.9\n'), '--forks', 'many'], /--forks "many" is not a whole number/);
  await refused(t, ['nodes'], /no inventory: pass -i FILE, or bring up the local lab/);
  await refused(t, ['nodes', '--config', join(dir, 'nope.json')], /config .*nope\.json does not exist/);
  writeFileSync(join(dir, 'bad-config.json'), JSON.stringify({ version: 1, inventory: 3, stateDir: state }));
  await refused(t, ['nodes', '--config', join(dir, 'bad-config.json')], /field "inventory"/);
  await refused(t, ['lab'], /lab: an action is needed: use up, down, status/);
  await refused(t, ['lab', 'frob'], /lab: unknown action "frob"/);
  await refused(t, ['lab', 'up', '--hosts', 'abc', '--dir', join(dir, 'lab')], /--hosts "abc" is not a whole number/);
  await refused(t, ['lab', 'up', '--hosts', '0', '--dir', join(dir, 'lab')], /--hosts 0 is out of range/);
  await refused(t, ['lab', 'up', '--hosts', '2', '--busybox', '3', '--dir', join(dir, 'lab')], /--busybox 3 is out of range/);
  await refused(t, ['lab', 'stop-host'], /lab stop-host: name the host/);
  await refused(t, ['lab', 'status', '--dir', join(dir, 'lab')], /no lab in .*: run "vzmaster lab up/);
  await refused(t, ['lab', 'stop-host', 'x; touch canary', '--dir', join(dir, 'lab')], /no lab in/);
  await refused(t, ['lab', 'up', '--dir', join(dir, 'a"b')], /holds a character ssh or ansible would interpret/);
  await refused(t, ['lab', 'up', '--dir', join(dir, 'a{{b}}')], /holds a character ssh or ansible would interpret/);
  // A PATH with node only: no ansible, no unshare.
  mkdirSync(join(dir, 'bin'));
  symlinkSync(process.execPath, join(dir, 'bin', 'node'));
  const bare = { PATH: join(dir, 'bin') };
  const noAnsible = await vzmaster(['nodes', '-i', join(dir, 'ok.ini')], { env: { ...env, ...bare }, scratchDir: dir });
  t.equal(noAnsible.exitCode, 1);
  t.match(noAnsible.stderr, /^vzmaster: ansible(-inventory)? is not installed: apt-get install/);
  rmSync(state, { recursive: true, force: true });
  await refused(t, ['lab', 'up', '--dir', join(dir, 'lab')], /unshare \(util-linux\) is not installed/, bare);
  t.notOk(existsSync(join(dir, 'lab')), 'no lab dir made by refused calls');
});

t.test('a lab that cannot come up leaves nothing behind', async (t) => {
  const lab = join(dir, 'failing lab');
  // An "init" that exits at once: the host never answers, so up must undo everything it made.
  const result = await vzmaster(['lab', 'up', '--dir', lab, '--hosts', '2', '--busybox', '0'], { env: { ...env, VZ_SYSVINIT: '/bin/true' }, scratchDir: dir, timeout: 60_000 });
  t.equal(result.exitCode, 1);
  t.match(result.stderr, /^vzmaster: host vps1: sshd did not answer on 127\.0\.1\.\d+:\d+/);
  t.equal(result.stderr.trim().split('\n').length, 1, 'one line');
  t.notOk(existsSync(lab), 'the lab dir it created is gone');
  t.same(readdirSync('/run/lock').filter((n) => n.startsWith('vz-lab-') && readFileSync(join('/run/lock', n), 'utf8').includes(lab)), [], 'no address claim left');
  const strays = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(lab);
    } catch {
      return false;
    }
  });
  t.same(strays, [], 'no process left');
});
