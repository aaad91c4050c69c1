// issue 10: newnode's one-host session inventory keeps every value a string, untemplated, on both ansible-cores.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { ansibleCores, CURRENT_ANSIBLE } from '../helpers/ansible-cores.ts';
import { renderSessionInventory } from '../../master-cli/nodes/session-inventory.ts';

const CURRENT = CURRENT_ANSIBLE;
const cores = ansibleCores();

t.test('a password "0755", a user "yes" and "{{ ... }}" reach ansible as the same strings (2.19 re-typed !unsafe scalars)', async (t) => {
  if (cores.length < 2 && (process.env.CI || process.env.VZ_CI)) t.fail(`${CURRENT} is missing: .ci/run installs it`);
  const dir = mkdtempSync(join(tmpdir(), 'vz-session-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const inventory = join(dir, 'inventory.yml');
  const login = { name: 'h1', address: '127.0.1.250', port: 22, user: 'yes', password: '0755', keyFile: '/k/{{ lookup("pipe", "id") }}', become: true };
  writeFileSync(inventory, renderSessionInventory(login), { mode: 0o600 });
  for (const bin of cores) {
    // debug runs on the controller: no connection is made
    const shown = await execa(bin, ['h1', `--inventory=${inventory}`, '--module-name=debug', '--args={"msg": "{{ [ansible_user, ansible_password, ansible_ssh_private_key_file] | map(\'type_debug\') | list }}|{{ ansible_user }}|{{ ansible_password }}|{{ ansible_ssh_private_key_file }}"}'], { reject: false, env: { ANSIBLE_NOCOLOR: '1', ANSIBLE_HOME: join(dir, 'home'), ANSIBLE_LOCAL_TEMP: join(dir, 'tmp') } });
    t.equal(shown.exitCode, 0, `${bin}: ${shown.stderr}`);
    const msg = /"msg": "(.*)"/.exec(String(shown.stdout))?.[1] ?? '';
    const [types, ...values] = msg.split('|');
    t.notMatch(types, /int|bool|NoneType/, `${bin}: every value a string (${types})`);
    t.same(values, ['yes', '0755', '/k/{{ lookup(\\"pipe\\", \\"id\\") }}'], `${bin}: the values as given, never templated`);
  }
});
