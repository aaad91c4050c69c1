import t from 'tap';
import { adhocArgv } from '../../master-cli/ansible/argv.ts';
import { safeModuleArgs, yamlQuote } from '../../master-cli/ansible/args.ts';
import { classify, exitCodeOf } from '../../master-cli/ansible/result.ts';
import { renderInittab } from '../../master-cli/lab/inittab.ts';
import { parseFacts } from '../../master-cli/nodes/probe.ts';

t.test('module args travel as !unsafe data, never as templates', async (t) => {
  const { json, varsYaml } = safeModuleArgs({ argv: ['echo', "{{ lookup('pipe','id') }}"], mode: 420, force: true, env: { 'A B': 'x' } });
  t.notMatch(json, /lookup/, 'no value inside -a');
  t.same(JSON.parse(json), { argv: ['{{ vz_args[0] }}', '{{ vz_args[1] }}'], mode: 420, force: true, env: { '{{ vz_args[2] }}': '{{ vz_args[3] }}' } });
  t.equal(varsYaml, 'vz_args: !unsafe ["echo", "{{ lookup(\'pipe\',\'id\') }}", "A B", "x"]\n');
  t.equal(yamlQuote('a"b\\c\nd\u0085é😀'), '"a\\"b\\\\c\\u000ad\\u0085\\u00e9\\U0001f600"');
});

t.test('ad-hoc argv: every value attached with =, builtin modules only', async (t) => {
  const argv = adhocArgv({ module: 'ping', limit: '-evil' }, { inventory: '/i', argsJson: '{}', varsFile: '/v' });
  t.ok(argv.slice(1).every((a) => a.startsWith('--')), 'no bare value an option parser could misread');
  t.ok(argv.includes('--limit=-evil'));
  t.ok(argv.some((a) => a.startsWith('--ssh-extra-args=') && a.includes('ServerAliveInterval=2')));
  t.throws(() => adhocArgv({ module: 'community.general.thing' }, { inventory: '', argsJson: '', varsFile: '' }), /builtin modules only/);
});

t.test('per-host results', async (t) => {
  const results = [
    classify('a', { changed: false, ping: 'pong' }),
    classify('b', { failed: true, msg: 'no such file\nmore' }),
    classify('c', { unreachable: true, msg: 'ssh: connect refused', changed: false }),
  ];
  t.same(results.map((r) => [r.status, r.message]), [['ok', ''], ['failed', 'no such file'], ['unreachable', 'ssh: connect refused']]);
  t.equal(exitCodeOf(results), 4);
  t.equal(exitCodeOf(results.slice(0, 2)), 2);
  t.equal(exitCodeOf(results.slice(0, 1)), 0);
  // Callbacks see results with `failed` stripped: the recorded event decides, else a non-zero rc.
  t.equal(classify('d', { changed: false, msg: 'Unsupported parameters' }, 'failed').status, 'failed');
  t.equal(classify('e', { changed: true, rc: 1 }).status, 'failed');
  t.equal(classify('f', { changed: true, rc: 0 }, 'ok').status, 'changed');
});

t.test('inittab and probe', async (t) => {
  t.match(renderInittab('sysvinit', '127.0.1.12', 2222), /^ssh:2345:respawn:\/usr\/sbin\/sshd -D -p 2222 -o ListenAddress=127\.0\.1\.12 -o PidFile=none/m);
  t.match(renderInittab('busybox', '127.0.1.12', 22), /^::respawn:\/usr\/sbin\/sshd -D/m);
  for (const line of renderInittab('sysvinit', '127.0.1.254', 22022).split('\n')) t.ok(line.length - line.indexOf(':respawn:') - 9 <= 127 || !line.includes('respawn'), 'process field fits sysvinit');
  t.same(parseFacts('init\tbusybox\nos\tAlpine\nmem_kb\t512\ndisk_free_kb\t9\ndisk_path\t/\nrunch\tnone\nnode\tv24.1.0\nhostname\th\n')?.init, 'busybox');
  t.equal(parseFacts('garbage'), undefined);
});

t.test('ansible environment: state inside the state dir, the user\'s ansible.cfg wins', async (t) => {
  const { ansibleEnv } = await import('../../master-cli/ansible/env.ts');
  const lab = ansibleEnv('/s', '/lab/ansible.cfg', { PATH: '/bin', HOME: '/root', NODE_OPTIONS: '--import=x' });
  t.match(lab, { HOME: '/s/home', ANSIBLE_LOCAL_TEMP: '/s/tmp', ANSIBLE_SSH_CONTROL_PATH_DIR: '/s/cp', ANSIBLE_LOAD_CALLBACK_PLUGINS: '1', ANSIBLE_CONFIG: '/lab/ansible.cfg' });
  t.notOk('NODE_OPTIONS' in lab, 'tap or user node hooks never reach ansible');
  const user = ansibleEnv('/s', undefined, { PATH: '/bin', HOME: '/home/u', ANSIBLE_CONFIG: '/u/ansible.cfg' }, false);
  t.equal(user.HOME, '/home/u');
  t.equal(user.ANSIBLE_CONFIG, '/u/ansible.cfg');
});

t.test('issue 10: a host\'s reply read from the contract\'s JSON and ansible\'s own fields, never its English', async (t) => {
  const { hostCall, hostReply, settleFromAnswer } = await import('../../master-cli/app/host-command.ts');
  const call = hostCall('apply', { app: 'web' });
  t.match(call.args, { argv: ['/var/lib/vz/bin/runch.cjs', 'host', 'apply'], stdin: ' {"app":"web"}' }, 'the request is stdin data (a blank first: ansible would re-type a leading "{")');
  t.match(hostCall('status', {}, { ifInstalled: true }).args, { removes: '/var/lib/vz/bin/runch.cjs' });
  const r = (status: 'ok' | 'changed' | 'failed' | 'unreachable', result: Record<string, unknown>) => ({ host: 'h', status, message: 'non-zero return code', result });
  t.same(hostReply('status', r('ok', { changed: false, rc: 0, stdout: 'skipped, since /var/lib/vz/bin/runch.cjs does not exist' })), { kind: 'no-runch' }, 'removes: skipped means no runch');
  t.same(hostReply('stop', r('failed', { changed: true, rc: 1, stdout: '{"ok":false,"error":{"code":"not-found","message":"no such app"}}' })), { kind: 'error', error: { code: 'not-found', message: 'no such app' } });
  t.match(hostReply('status', r('changed', { changed: true, rc: 0, stdout: 'hello' })), { kind: 'error', error: { code: 'system' } }, 'an answer that is no JSON is an error');
  t.match(settleFromAnswer('apply', r('changed', { changed: true, rc: 0, stdout: '{"ok":true,"changed":false,"state":"running","notes":[]}' })), { status: 'ok' }, 'changed as the host says');
  t.match(settleFromAnswer('apply', r('failed', { changed: true, rc: 1, stdout: '{"ok":false,"error":{"code":"needs-supervisor","message":"schedule needs supervisor mode"}}' })), { status: 'failed', message: 'schedule needs supervisor mode' });
});

t.test('issue 10: an unchanged redeploy sends nothing to a host that already runs the wanted version, healthy', async (t) => {
  const { isCurrent } = await import('../../master-cli/deploy/roll.ts');
  const { versionName } = await import('../../master-cli/app/ops.ts');
  const wanted = { app: 'web', imageFile: '/i/x.tar.gz', digest: 'ab'.repeat(32), config: { a: 1 }, restart: { policy: 'always' as const }, health: { minUptimeMs: 2_000, timeoutMs: 60_000 } };
  const version = versionName(wanted.digest, wanted.config);
  const row = { id: 'web', host: 'h', wanted: 'respawn', state: 'running', failures: 0, bundle: `/b/web/${version}`, version, restart: { policy: 'always' as const }, since: new Date(Date.now() - 10_000).toISOString() };
  const host = { host: 'h', reachable: true, mode: 'init' as const, runtime: 'runch' as const, runchSha1: 'f'.repeat(40), images: [], apps: [row] };
  t.ok(isCurrent(host, wanted, 'init', 'f'.repeat(40)));
  t.notOk(isCurrent(host, wanted, 'supervisor', 'f'.repeat(40)), 'another mode');
  t.notOk(isCurrent(host, wanted, 'init', 'e'.repeat(40)), 'another runch');
  t.notOk(isCurrent(host, wanted, 'init', 'f'.repeat(40), 'runc'), 'another runtime (the inventory now says runc)');
  const runcVersion = versionName(wanted.digest, wanted.config, 'runc');
  const runcHost = { ...host, runtime: 'runc' as const, apps: [{ ...row, version: runcVersion, bundle: `/b/web/${runcVersion}` }] };
  t.ok(isCurrent(runcHost, wanted, 'init', 'f'.repeat(40), 'runc'), 'a runc host running the runc version is current: nothing is sent');
  t.notOk(isCurrent(host, { ...wanted, config: { a: 2 } }, 'init', 'f'.repeat(40)), 'another config (env)');
  t.notOk(isCurrent(host, { ...wanted, restart: { policy: 'no' as const } }, 'init', 'f'.repeat(40)), 'another restart policy');
  t.notOk(isCurrent({ ...host, apps: [{ ...row, since: new Date().toISOString() }] }, wanted, 'init', 'f'.repeat(40)), 'not yet past the minimum uptime');
  t.notOk(isCurrent(host, { ...wanted, health: { ...wanted.health, check: ['true'] } }, 'init', 'f'.repeat(40)), 'a check command always runs again');
});
