import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { hostReply } from '../../master-cli/app/host-command.ts';
import { honestState } from '../../runch/host/status.ts';
import { hostConfigJson } from '../../runch/host/volumes.ts';
import { vzmaster } from '../helpers/lab.ts';

const dir = mkdtempSync(join(tmpdir(), 'vz-master-reports-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const state = join(dir, 'state');
const ansibleLog = join(dir, 'ansible.log');
// No lab: every case here is refused before an inventory is read or an ansible process starts.
const env = { VZ_LAB_DIR: join(dir, 'no-lab'), VZ_MASTER_STATE: state, VZ_ANSIBLE_LOG: ansibleLog };

async function refused(t: Tap.Test, args: string[], pattern: RegExp) {
  const result = await vzmaster(args, { env, scratchDir: dir });
  t.equal(result.exitCode, 1, `exit 1 for ${args.join(' ')}`);
  t.match(result.stderr, pattern, 'names the field');
  t.equal(result.stderr.trim().split('\n').length, 1, 'one line');
  t.notOk(existsSync(state), 'no state written');
  t.notOk(existsSync(ansibleLog), 'no ansible process');
}

function manifest(name: string, body: string): string {
  const path = join(dir, `${name}.yml`);
  writeFileSync(path, `app: web\nimage: ${join(dir, `${'0'.repeat(64)}.tar.gz`)}\n${body}\n`);
  return path;
}

t.test('issue 11: the manifest refuses what cannot reach a process or a mount, naming the field', async (t) => {
  await refused(t, ['deploy', manifest('nul', 'env: { A: "x\\0y" }')], /env\.A: holds a NUL character/);
  await refused(t, ['deploy', manifest('vol-ctl', 'volumes: { data: "/var/\\x01lib" }')], /volumes\.data: must be an absolute path/);
  await refused(t, ['deploy', manifest('vol-rel', 'volumes: { data: var/lib }')], /volumes\.data: must be an absolute path/);
  await refused(t, ['deploy', manifest('vol-dots', 'volumes: { data: /var/../etc }')], /volumes\.data: .*"\.\."/);
  await refused(t, ['deploy', manifest('vol-name', 'volumes: { Data: /data }')], /volumes\.Data: volume names are/);
  await refused(t, ['deploy', manifest('rlimit', 'rlimits: [nofile=lots]')], /rlimits\[0\]: "nofile=lots" must be NAME=LIMIT/);
  await refused(t, ['deploy', manifest('health', 'health: { tcp: 70000 }')], /health\.tcp: /);
});

t.test('issue 11: volume rm asks first: no terminal and no --yes is refused before anything runs', async (t) => {
  await refused(t, ['volume', 'rm', 'web', 'data'], /volume rm deletes data: confirm with --yes/);
  await refused(t, ['volume', 'rm', 'web', '../x', '--yes'], /give the volume's name/);
  await refused(t, ['volume', 'ls'], /"ls" is no volume command/);
});

t.test('issue 11: the host writes its own name, address and volumes into config.json', async (t) => {
  const config = { process: { env: ['PATH=/bin', 'VZ_HOST=forged'] }, mounts: [{ destination: '/data', type: 'tmpfs', source: 'tmpfs' }, { destination: '/proc', type: 'proc', source: 'proc' }] };
  const out = hostConfigJson(config, { name: 'vps1', addr: '127.0.1.5' }, '/var/lib/vz/volumes/web', { data: '/data' }) as { process: { env: string[] }; mounts: { destination: string; source: string }[] };
  t.same(out.process.env, ['PATH=/bin', 'VZ_HOST=vps1', 'VZ_HOST_ADDR=127.0.1.5'], "the inventory's name wins over the image's");
  t.same(out.mounts.map((m) => [m.destination, m.source]), [['/proc', 'proc'], ['/data', '/var/lib/vz/volumes/web/data']], 'the volume replaces a mount at its path');
});

t.test('issue 11: a process between quick exits is restarting, never running', async (t) => {
  const now = Date.parse('2026-01-01T00:00:30Z');
  t.equal(honestState('running', 3, '2026-01-01T00:00:29Z', now), 'restarting');
  t.equal(honestState('running', 3, '2026-01-01T00:00:00Z', now), 'running', 'stable past 10 s: running');
  t.equal(honestState('running', 0, '2026-01-01T00:00:29Z', now), 'running', 'a fresh start without failures');
  t.equal(honestState('running', 1, '2026-01-01T00:00:29Z', now), 'running', 'one exit (a version switch, a one-off crash) is no loop');
  t.equal(honestState('crash-loop', 8, undefined, now), 'crash-loop');
});

t.test("issue 11: a host that printed no answer: runch's own last stderr line, whole, not ansible's words", async (t) => {
  const reason = `runch: ${'a long reason '.repeat(30)}end`;
  const reply = hostReply('stop', { host: 'vps1', status: 'failed', message: 'non-zero return code', result: { rc: 1, stdout: '', stderr: `warning\n${reason}\n` } });
  t.same(reply, { kind: 'error', error: { code: 'system', message: reason } });
});

t.test('issue 11: a per-host argument is the one template -a carries; data stays a reference', async (t) => {
  const { HostVar, safeModuleArgs } = await import('../../master-cli/ansible/args.ts');
  const { json, varsYaml } = safeModuleArgs({ argv: ['runch', new HostVar('--vz-host=', 'inventory_hostname'), "{{ lookup('pipe','id') }}"] });
  t.same(JSON.parse(json), { argv: ['{{ vz_args[0] }}', '--vz-host={{ inventory_hostname }}', '{{ vz_args[1] }}'] });
  t.match(varsYaml, /^vz_args: !unsafe \[/);
});
