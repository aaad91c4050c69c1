import { readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { addInventoryHost } from '../../master-cli/inventory/add.ts';
import { loadInventory } from '../../master-cli/inventory/load.ts';
import { scratch } from '../helpers/fixtures.ts';

const VARS = { ansible_host: '203.0.113.7', ansible_port: 22, ansible_user: 'vz', ansible_become: true };

t.test('YAML: added into its vendor group with comments kept; a rerun updates in place; another group is refused', async (t) => {
  const file = join(scratch(t), 'hosts.yml');
  const before = '# my fleet\nall:\n  vars:\n    ansible_user: root  # keep me\n  children:\n    vendor_a:\n      hosts:\n        old1: { ansible_host: 198.51.100.1 }\n';
  writeFileSync(file, before);
  chmodSync(file, 0o600);
  t.equal(await addInventoryHost(file, 'vendor_b', 'web3', VARS), 'added');
  const text = readFileSync(file, 'utf8');
  t.match(text, /^# my fleet\nall:\n  vars:\n    ansible_user: root +# keep me\n  children:\n    vendor_a:\n/, 'comments and order stay');
  t.equal(statSync(file).mode & 0o777, 0o600, 'the file keeps its mode');
  const hosts = loadInventory(file).hosts;
  t.same(hosts.map((h) => [h.name, h.groups.join(','), h.address]), [['old1', 'vendor_a', '198.51.100.1'], ['web3', 'vendor_b', '203.0.113.7']]);
  t.equal(hosts[1].vars.ansible_user, 'vz', 'the host var wins over the group var');
  t.equal(await addInventoryHost(file, 'vendor_b', 'web3', VARS), 'updated');
  t.equal(readFileSync(file, 'utf8'), text, 'a rerun with the same facts writes the same bytes');
  await t.rejects(addInventoryHost(file, 'vendor_c', 'old1', VARS), /host old1 is already in group vendor_a of .*: pass --vendor vendor_a/);
  t.equal(readFileSync(file, 'utf8'), text, 'a refusal writes nothing');
});

t.test('INI: one line inserted into its section, or a new section; every other line byte for byte', async (t) => {
  const file = join(scratch(t), 'hosts');
  const before = '; fleet\n[vendor_a]\nold1 ansible_host=198.51.100.1\n\n[vendor_b]\nold2 ansible_host=198.51.100.2   # trailing comment\n\n[all:vars]\nansible_user=root\n';
  writeFileSync(file, before);
  t.equal(await addInventoryHost(file, 'vendor_b', 'web3', VARS), 'added');
  t.equal(
    readFileSync(file, 'utf8'),
    before.replace('# trailing comment\n', '# trailing comment\nweb3 ansible_host=203.0.113.7 ansible_port=22 ansible_user=vz ansible_become=true\n'),
    'inserted after the section\'s last host',
  );
  t.equal(await addInventoryHost(file, 'vendor_c', 'web4', VARS), 'added');
  t.match(readFileSync(file, 'utf8'), /ansible_user=root\n\n\[vendor_c\]\nweb4 ansible_host=203\.0\.113\.7 /, 'a new section at the end');
  t.equal(await addInventoryHost(file, 'vendor_b', 'web3', { ...VARS, ansible_port: 2222 }), 'updated');
  t.match(readFileSync(file, 'utf8'), /^web3 ansible_host=203\.0\.113\.7 ansible_port=2222 /m, 'the host\'s line replaced');
  t.same(loadInventory(file).hosts.map((h) => h.name).sort(), ['old1', 'old2', 'web3', 'web4']);
  const text = readFileSync(file, 'utf8');
  await t.rejects(addInventoryHost(file, 'vendor_b', 'old1', VARS), /already in group vendor_a/);
  await t.rejects(addInventoryHost(file, 'vendor_b', 'web5', { ...VARS, ansible_ssh_private_key_file: '/keys/my key' }), /cannot be written to an INI inventory .*use a YAML inventory/);
  await t.rejects(addInventoryHost(file, 'vendor-b', 'web5', VARS), /group "vendor-b" is invalid/);
  await t.rejects(addInventoryHost(file, 'vendor_b', 'web 5', VARS), /host name "web 5" is invalid/);
  t.equal(readFileSync(file, 'utf8'), text, 'refusals write nothing');
});

t.test('a missing inventory file is created (the first host of a new fleet)', async (t) => {
  const file = join(scratch(t), 'fleet.yml');
  t.equal(await addInventoryHost(file, 'vendor_a', 'web1', VARS), 'added');
  t.same(loadInventory(file).hosts.map((h) => [h.name, h.groups.join(',')]), [['web1', 'vendor_a']]);
});
