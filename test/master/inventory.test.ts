import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadInventory } from '../../master-cli/inventory/load.ts';

// issue 10: inventories are read by ansible-inventory --list (the real one, no stand-in), so everything ansible
// reads (group_vars/, host_vars/, directories, dynamic scripts) reaches vzmaster too.
const dir = mkdtempSync(join(tmpdir(), 'vz-inventory-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function file(path: string, text: string, mode = 0o644): string {
  const full = join(dir, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, text);
  chmodSync(full, mode);
  return full;
}

const summary = (path: string) => loadInventory(path).hosts.map((h) => ({ name: h.name, address: h.address, port: h.port, groups: h.groups }));

t.test('INI: groups, children, vars, quoting, ranges', async (t) => {
  const path = file('hosts.ini', '[vendor_a]\nh1 ansible_host=10.0.0.1 note="a b" # comment\nweb[1:2] ansible_host=10.0.0.2 ansible_port=2222\n[vendors:children]\nvendor_a\n[vendors:vars]\nansible_user=root\n');
  const hosts = loadInventory(path).hosts;
  t.same(summary(path), [
    { name: 'h1', address: '10.0.0.1', port: undefined, groups: ['vendor_a', 'vendors'] },
    { name: 'web1', address: '10.0.0.2', port: 2222, groups: ['vendor_a', 'vendors'] },
    { name: 'web2', address: '10.0.0.2', port: 2222, groups: ['vendor_a', 'vendors'] },
  ]);
  t.match(hosts[0].vars, { ansible_host: '10.0.0.1', note: 'a b', ansible_user: 'root' }, 'own and parent group vars merged');
});

t.test('YAML: vendor groups under children, vars inherited, a dotted name is its own address', async (t) => {
  const path = file('inv.yml', 'all:\n  vars: {ansible_user: root}\n  children:\n    vendor_a:\n      hosts:\n        h1: {ansible_host: 10.0.0.1}\n        h2.example.org:\n');
  t.same(summary(path), [
    { name: 'h1', address: '10.0.0.1', port: undefined, groups: ['vendor_a'] },
    { name: 'h2.example.org', address: 'h2.example.org', port: undefined, groups: ['vendor_a'] },
  ]);
  t.equal(loadInventory(path).hosts[1].vars.ansible_user, 'root');
});

t.test('group_vars/ and host_vars/ beside the inventory are merged (vz_mode in group_vars)', async (t) => {
  const path = file('gv/inventory.yml', 'all:\n  children:\n    vendor_a:\n      hosts:\n        vps1: {ansible_host: 127.0.1.1}\n    vendor_b:\n      hosts:\n        vps2: {ansible_host: 127.0.1.2}\n');
  file('gv/group_vars/vendor_b.yml', 'vz_mode: supervisor\n');
  file('gv/group_vars/all.yml', 'ansible_user: root\n');
  file('gv/host_vars/vps1.yml', 'ansible_port: 2201\n');
  const [vps1, vps2] = loadInventory(path).hosts;
  t.equal(vps2.vars.vz_mode, 'supervisor', 'group_vars/vendor_b.yml reaches vps2');
  t.equal(vps1.vars.vz_mode, undefined, 'and only the group\'s hosts');
  t.equal(vps1.port, 2201, 'host_vars/vps1.yml sets the port');
  t.equal(vps2.vars.ansible_user, 'root', 'group_vars/all.yml reaches everyone');
});

t.test('a directory of inventories (INI and YAML together) is one inventory', async (t) => {
  // ansible skips *.ini (and .cfg, .txt, ...) inside an inventory directory: INI files there have no extension.
  file('many/a-hosts', '[vendor_a]\nh1 ansible_host=10.0.0.1\n');
  file('many/b.yml', 'vendor_b:\n  hosts:\n    h2: {ansible_host: 10.0.0.2}\n');
  file('many/group_vars/vendor_b.yml', 'vz_mode: supervisor\n');
  const hosts = loadInventory(join(dir, 'many')).hosts;
  t.same(hosts.map((h) => [h.name, h.groups.join(','), h.vars.vz_mode ?? '-']), [['h1', 'vendor_a', '-'], ['h2', 'vendor_b', 'supervisor']]);
});

t.test('a dynamic inventory script', async (t) => {
  const data = { vendor_a: { hosts: ['d1'], vars: { ansible_user: 'vz' } }, _meta: { hostvars: { d1: { ansible_host: '10.0.0.9', ansible_port: 2022 } } } };
  const path = file('dynamic.py', `#!/usr/bin/python3\nimport json, sys\nprint(json.dumps(${JSON.stringify(data)} if sys.argv[1:] == ['--list'] else {}))\n`, 0o755);
  const [d1] = loadInventory(path).hosts;
  t.same([d1.name, d1.address, d1.port, d1.groups, d1.vars.ansible_user], ['d1', '10.0.0.9', 2022, ['vendor_a'], 'vz']);
});

t.test('a changed file is read again; an unchanged one is read once', async (t) => {
  const path = file('change.ini', '[vendor_a]\nh1 ansible_host=10.0.0.1\n');
  const first = loadInventory(path);
  t.equal(loadInventory(path), first, 'the same object: ansible-inventory ran once');
  writeFileSync(path, '[vendor_a]\nh1 ansible_host=10.0.0.1\nh2 ansible_host=10.0.0.2\n');
  t.same(loadInventory(path).hosts.map((h) => h.name), ['h1', 'h2']);
});

t.test('bad inventories: one line naming the problem', async (t) => {
  const refused = (text: string, name: string, pattern: RegExp, mode = 0o644) => {
    const path = file(`bad/${name}`, text, mode);
    t.throws(() => loadInventory(path), pattern, name);
    try {
      loadInventory(path);
    } catch (error) {
      t.notMatch((error as Error).message, /\n/, `${name}: one line`);
    }
  };
  t.throws(() => loadInventory(join(dir, 'missing.ini')), /missing\.ini does not exist: pass -i FILE/);
  refused('[vendor_a\nvps1 ansible_host=127.0.1.9\n', 'header.ini', /header\.ini cannot be read: ini plugin: /);
  refused('[vendor_a]\nvps1 ansible_host="127.0.1.9\n', 'quote.ini', /cannot be read: ini plugin: .*No closing quotation/);
  refused('[vendor_a]\nvps1 ansible_host\n', 'novalue.ini', /cannot be read: ini plugin: .*key=value/);
  refused('all:\n  hosts: [a, b]\n', 'list.yml', /list\.yml cannot be read: yaml plugin: Invalid "hosts" entry/);
  refused('all:\n  hosts:\n   - a: [\n', 'syntax.yml', /syntax\.yml cannot be read: yaml plugin: .*YAML/);
  refused('all:\n  hostz:\n    a:\n', 'typo.yml', /typo\.yml lists no hosts: add at least one host \(ansible: Skipping unexpected key \(hostz\)/);
  refused('#!/bin/sh\necho oops >&2\nexit 3\n', 'failing.sh', /failing\.sh cannot be read: script plugin: /, 0o755);
  refused('# nothing\n', 'empty.ini', /lists no hosts/);
  refused('[vendor_a]\nweb1 ansible_user=root\n', 'noaddr.ini', /host "web1" has no address: set ansible_host=<ip>/);
  refused('[vendor_a]\nweb1 ansible_host=127.0.1.9 ansible_port=99999\n', 'port.ini', /ansible_port 99999 is not a port/);
  refused("[vendor_a]\nweb1 ansible_host='127.0.1.9;touch x'\n", 'addr.ini', /host "web1" has an invalid ansible_host/);
  refused('all:\n  hosts:\n    "a b; touch x":\n      ansible_host: 127.0.1.9\n', 'name.yml', /host name "a b; touch x" is invalid/);
  refused('[vendor-a]\nweb1 ansible_host=127.0.1.9\n', 'group.ini', /group name "vendor-a" is invalid/);
});
