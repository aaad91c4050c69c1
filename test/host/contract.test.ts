// issue 10: one typed host contract. The schemas both sides read, and `runch host` itself on a private host config:
// JSON in, JSON out, a stable error code and one line, and a refusal that changes nothing.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { applyRequestSchema, hostConfigSchema, readAnswer } from '../../base/host-contract.ts';
import { entrySpec } from '../../runch/host/apply.ts';
import { notYet } from '../../runch/host/health.ts';
import { execToFiles, RUNCH, scratch } from '../helpers/fixtures.ts';

const IMAGE = `${'a'.repeat(64)}.tar.gz`;
const request = (extra: Record<string, unknown> = {}) => ({ app: 'web', version: '0123456789abcdef-01234567', image: IMAGE, config: {}, restart: { policy: 'always' }, mode: 'init', ...extra });

/** A host config whose every path is inside dir: runch host never touches the machine's /var/lib/vz. */
function privateHost(dir: string): Record<string, string> {
  const config = { version: 1, table: join(dir, 'table'), stateRoot: join(dir, 'root'), logDir: join(dir, 'log'), bundles: join(dir, 'bundles'), images: join(dir, 'images'), bins: { node: process.execPath, runch: RUNCH } };
  writeFileSync(join(dir, 'host.json'), JSON.stringify(config));
  return { VZ_HOST_CONFIG: join(dir, 'host.json'), PATH: process.env.PATH ?? '/usr/bin:/bin' };
}

async function host(dir: string, env: Record<string, string>, verb: string, stdin: unknown) {
  const input = join(dir, `${verb}.json`);
  writeFileSync(input, typeof stdin === 'string' ? stdin : JSON.stringify(stdin));
  const r = await execToFiles(process.execPath, [RUNCH, 'host', verb], { dir, env, stdinFile: input, timeout: 30_000 });
  return { ...r, answer: JSON.parse(r.stdout) };
}

t.test('schemas: requests and answers as both sides read them', async (t) => {
  t.ok(applyRequestSchema.safeParse(request()).success);
  t.equal(applyRequestSchema.parse(request()).keep, 3, 'keep defaults to 3 versions');
  t.notOk(applyRequestSchema.safeParse(request({ restart: { policy: 'always', max: 2 } })).success, 'a maximum only with on-failure');
  t.notOk(applyRequestSchema.safeParse(request({ image: '../etc/passwd' })).success, 'an image is a digest-named file, no path');
  t.notOk(applyRequestSchema.safeParse(request({ extra: 1 })).success, 'unknown fields refused (strict)');
  t.equal(hostConfigSchema.parse({ version: 1, table: '/t', stateRoot: '/r', logDir: '/l', bundles: '/b', images: '/i', bins: { node: '/n', runch: '/c' } }).runtime, 'runch', 'runtime defaults to runch');
  t.same(readAnswer('status', 'not json'), { ok: false, error: { code: 'system', message: 'runch host status printed no answer (not JSON): reinstall runch with "vzmaster start"' } });
  t.match(readAnswer('stop', '{"ok":true}'), { ok: false, error: { code: 'system', message: /cannot read/ } }, 'an answer missing its fields is an error, not a guess');
  t.same(readAnswer('stop', '{"ok":false,"error":{"code":"not-found","message":"x"}}'), { ok: false, error: { code: 'not-found', message: 'x' } });
});

t.test('restart and schedule per mode: mapped for init, or refused naming supervisor mode', async (t) => {
  t.match(entrySpec('/b', { policy: 'no' }, undefined, 'init'), { once: true, restart: 'no' }, 'no: sysvinit\'s once');
  t.throws(() => entrySpec('/b', { policy: 'no' }, undefined, 'init', () => 'busybox'), /restart "no" needs supervisor mode on a busybox init \(it runs "once" entries at boot only\)/);
  t.match(entrySpec('/b', { policy: 'no' }, undefined, 'supervisor', () => 'busybox'), { once: true }, 'busybox under the supervisor: fine');
  t.match(entrySpec('/b', { policy: 'unless-stopped' }, undefined, 'init'), { once: false, restart: 'unless-stopped' }, 'unless-stopped: respawn');
  t.throws(() => entrySpec('/b', { policy: 'on-failure', max: 2 }, undefined, 'init'), /restart "on-failure:2" needs supervisor mode .*set vz_mode: supervisor/);
  t.throws(() => entrySpec('/b', { policy: 'always' }, '* * * * *', 'init'), /schedule "\* \* \* \* \*" needs supervisor mode/);
  t.match(entrySpec('/b', { policy: 'on-failure', max: 2 }, undefined, 'supervisor'), { once: false, restart: 'on-failure', restartMax: 2 });
  t.match(entrySpec('/b', { policy: 'no' }, '*/5 * * * *', 'supervisor'), { once: false, schedule: '*/5 * * * *' }, 'a schedule: a cron entry');
});

t.test('health, as the host judges one status row', async (t) => {
  const row = { id: 'web', wanted: 'respawn', state: 'running', failures: 0, bundle: '/b/v', version: 'v', restart: { policy: 'always' as const } };
  const health = { minUptimeMs: 3_000, timeoutMs: 10_000 };
  const now = Date.parse('2026-01-01T00:00:10Z');
  t.equal(notYet({ ...row, since: '2026-01-01T00:00:00Z' }, health, now), undefined, 'running past the minimum uptime');
  t.match(notYet({ ...row, since: '2026-01-01T00:00:09Z' }, health, now), { hopeless: false });
  t.match(notYet({ ...row, state: 'backoff', failures: 3 }, health, now), { hopeless: true, why: /backoff after 3/ });
  t.equal(notYet({ ...row, state: 'exited', wanted: 'once', restart: { policy: 'no' } }, health, now), undefined, 'restart no: ran and ended');
  t.equal(notYet({ ...row, wanted: 'cron', state: 'scheduled' }, health, now), undefined);
  t.match(notYet(undefined, health, now), { hopeless: true });
});

t.test('runch host: JSON in and out on a private host config; errors are a code and one line; refusals change nothing', async (t) => {
  const dir = scratch(t);
  const env = privateHost(dir);
  const status = await host(dir, env, 'status', {});
  t.equal(status.exitCode, 0, status.stderr);
  t.same(status.answer, { ok: true, mode: 'init', runtime: 'runch', images: [], apps: [] }, "the host config's runtime is in the answer");
  t.match((await host(dir, env, 'status', { runch: true })).answer.runchSha1, /^[0-9a-f]{40}$/, 'runch\'s sha1 when asked');

  const config = await host(dir, env, 'config', {});
  t.match(config.answer, { ok: true, config: { table: join(dir, 'table'), runtime: 'runch' } }, 'the existing paths are kept');
  t.equal((await host(dir, env, 'config', {})).answer.changed, false, 'a second write changes nothing');

  const bad = await host(dir, env, 'apply', request({ app: 'Web App' }));
  t.equal(bad.exitCode, 1);
  t.match(bad.answer, { ok: false, error: { code: 'bad-request', message: /^the request: app: / } });
  const garbage = await host(dir, env, 'stop', '{not json');
  t.match(garbage.answer, { ok: false, error: { code: 'usage', message: 'the request on stdin is not JSON' } });

  for (const extra of [{ schedule: '*/5 * * * *' }, { restart: { policy: 'on-failure' } }]) {
    const refused = await host(dir, env, 'apply', request(extra));
    t.equal(refused.exitCode, 1);
    t.match(refused.answer, { ok: false, error: { code: 'needs-supervisor', message: /needs supervisor mode/ } });
    t.equal(refused.stderr, '', 'the answer says it all');
  }
  const missing = await host(dir, env, 'apply', request());
  t.match(missing.answer, { ok: false, error: { code: 'not-found', message: `image ${IMAGE} is not in ${join(dir, 'images')}: push it first ("vzmaster push")` } });
  t.notOk(existsSync(join(dir, 'table')), 'no table written');
  t.notOk(existsSync(join(dir, 'bundles')), 'no bundle directory');
  t.notOk(readdirSync(dir).some((f) => f === 'root' || f === 'log'), 'no state, no log');

  t.same((await host(dir, env, 'stop', { app: 'web' })).answer, { ok: true, changed: false, state: 'absent' }, 'stop of an app the host lacks: nothing to do');
  t.match((await host(dir, env, 'logs', { app: 'web' })).answer, { ok: false, error: { code: 'not-found' } });
  t.match(JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8')), { bins: { runch: RUNCH } });
});
