import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { scratch } from '../helpers/fixtures.ts';
import { startLab } from '../helpers/lab.ts';

const DIST = resolve(import.meta.dirname, '../../dist');
const PORT = 16379;
/**
 * Debian's redis (redis-server, redis-tools), as .ci/run installs it. VZ_REDIS_ROOT: a tree where the packages
 * were unpacked instead (dpkg -x), on a machine where installing them would start the machine's own redis.
 */
const ROOT = process.env.VZ_REDIS_ROOT ?? '';
const SERVER = `${ROOT}/usr/bin/redis-server`;
const CLI = `${ROOT}/usr/bin/redis-cli`;
const LIBS = ROOT ? [`LD_LIBRARY_PATH=${ROOT}/usr/lib/x86_64-linux-gnu`] : [];
const BUSYBOX = '/bin/busybox';

/** redis's rootfs from the project's tools: ldd-trace of redis-server (and busybox, for sh), then vzimage bundle and pack. */
function redisImage(dir: string, name: string): string {
  const rootfs = join(dir, `${name}-rootfs`);
  execFileSync(join(DIST, 'ldd-trace.cjs'), ['--user', '1000:1000', rootfs, SERVER, BUSYBOX], { stdio: 'ignore', env: { ...process.env, ...Object.fromEntries(LIBS.map((l) => l.split('='))) } });
  const bundle = join(dir, `${name}-bundle`);
  // The address is each host's own (VZ_HOST_ADDR: lab hosts share one network), hence sh. appendfsync always: a key
  // is on disk before SET answers, so a redeploy's stop cannot lose it.
  const script = `exec ${SERVER} --bind "$VZ_HOST_ADDR" --port ${PORT} --dir /var/lib/redis --appendonly yes --appendfsync always --save ""`;
  execFileSync(join(DIST, 'vzimage.cjs'), ['bundle', rootfs, bundle, '--user', '1000:1000', '--env', `MARK=${name}`, ...LIBS.flatMap((l) => ['--env', l]), '--args', BUSYBOX, 'sh', '-c', script], { stdio: 'ignore' });
  const out = join(dir, `${name}-image`);
  execFileSync(join(DIST, 'vzimage.cjs'), ['pack', bundle, '-o', out, '--app', 'cache'], { stdio: 'ignore' });
  return join(out, readdirSync(out).find((f) => f.endsWith('.tar.gz'))!);
}

function manifest(dir: string, name: string, image: string, env: string): string {
  const file = join(dir, `${name}.yml`);
  writeFileSync(
    file,
    `app: cache\nimage: ${image}\nreplicas: 2\nenv: { LABEL: ${env} }\nvolumes: { data: /var/lib/redis }\nrlimits: [nofile=10032]\nhealth: { tcp: ${PORT} }\nrolling: { batch: 2, minUptime: 1, timeout: 30 }\n`,
  );
  return file;
}

function cli(addr: string, ...args: string[]): string {
  try {
    return execFileSync(CLI, ['-h', addr, '-p', String(PORT), ...args], { encoding: 'utf8', timeout: 5_000, env: { ...process.env, ...Object.fromEntries(LIBS.map((l) => l.split('='))) } }).trim();
  } catch (error) {
    return `redis-cli failed: ${(error as Error).message.split('\n')[0]}`;
  }
}

// Under CI (.ci/run installed redis) a missing redis fails instead of skipping.
const missing = [SERVER, CLI, BUSYBOX].filter((p) => !existsSync(p));
const skip = missing.length > 0 && !process.env.VZ_CI ? `${missing.join(', ')} missing: "bash .ci/run --setup-only" installs redis-server and redis-tools` : false;

t.test('issue 11: redis keeps its data across an env-only redeploy and a rollback; maxclients is not shrunk', { skip }, async (t) => {
  const dir = scratch(t);
  const one = redisImage(dir, 'one');
  const two = redisImage(dir, 'two');
  const lab = await startLab(t, { hosts: 2, busybox: 1 });
  const why = async (r: { exitCode?: number; stdout: string; stderr: string }, want: number) =>
    r.exitCode === want ? '' : `${r.stderr}${r.stdout}${(await lab.run(['logs', 'cache', '-n', '30'])).stdout}`;
  const addrs = lab.hosts().map((h) => h.address);

  const first = await lab.run(['deploy', manifest(dir, 'a', one, 'a')], 300_000);
  t.equal(first.exitCode, 0, await why(first, 0));
  for (const addr of addrs) {
    t.equal(cli(addr, 'SET', 'greeting', `kept on ${addr}`), 'OK');
    t.equal(cli(addr, 'CONFIG', 'GET', 'maxclients'), 'maxclients\n10000', `${addr}: nofile=10032 from the manifest: maxclients stays 10000`);
  }
  const envOnly = await lab.run(['deploy', manifest(dir, 'b', one, 'b')], 300_000);
  t.equal(envOnly.exitCode, 0, await why(envOnly, 0));
  for (const addr of addrs) t.equal(cli(addr, 'GET', 'greeting'), `kept on ${addr}`, `${addr}: the key survives an env-only redeploy`);

  const next = await lab.run(['deploy', manifest(dir, 'c', two, 'b')], 300_000);
  t.equal(next.exitCode, 0, await why(next, 0));
  const back = await lab.run(['rollback', 'cache'], 300_000);
  t.equal(back.exitCode, 0, await why(back, 0));
  t.match(back.stdout, new RegExp(`deployed ${one.split('/').pop()}`), 'the rollback runs the first image');
  for (const addr of addrs) t.equal(cli(addr, 'GET', 'greeting'), `kept on ${addr}`, `${addr}: the key survives a rollback`);
});
