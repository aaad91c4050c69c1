import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import t from 'tap';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { busyboxBundle, scratch } from '../helpers/fixtures.ts';
import { startLab, vzmaster } from '../helpers/lab.ts';

const VZIMAGE = resolve(import.meta.dirname, '../../dist/vzimage.cjs');
const PORT = 18080;

/** A packed busybox image running `script` as uid 1000; returns the image path. */
function image(dir: string, name: string, script: string): string {
  const bundle = busyboxBundle(join(dir, name), { args: ['sh', '-c', script], env: ['PATH=/bin'], user: { uid: 1000, gid: 1000 }, mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }] });
  const out = join(dir, `images-${name}`);
  execFileSync(VZIMAGE, ['pack', bundle, '-o', out, '--app', 'web'], { stdio: 'ignore' });
  return join(out, readdirSync(out).find((f) => f.endsWith('.tar.gz'))!);
}

/**
 * A server whose data is its volume: it writes what it sees (its host, its open-files limit, the version that
 * runs) into /data, keeps /data/key from its first start, and serves /data over HTTP on its own host's address.
 */
const serving = (mark: string, port = PORT) =>
  `echo "$VZ_HOST $VZ_HOST_ADDR" > /data/host; grep "open files" /proc/self/limits > /data/limits; [ -e /data/key ] || echo "$KEY" > /data/key; echo "${mark} $KEY" > /data/version; exec busybox httpd -f -p "$VZ_HOST_ADDR:${port}" -h /data`;

function manifest(dir: string, name: string, imagePath: string, key: string, replicas = 2, port = PORT): string {
  const file = join(dir, `${name}.yml`);
  writeFileSync(
    file,
    [
      'app: web',
      `image: ${imagePath}`,
      `replicas: ${replicas}`,
      `env: { KEY: ${key} }`,
      'volumes: { data: /data }',
      'rlimits: [nofile=4096]',
      `health: { http: { port: ${port}, path: /version, status: 200 } }`,
      'rolling: { batch: 2, minUptime: 1, timeout: 6 }',
      '',
    ].join('\n'),
  );
  return file;
}

async function get(addr: string, path: string): Promise<string> {
  try {
    const res = await fetch(`http://${addr}:${PORT}${path}`, { signal: AbortSignal.timeout(3_000) });
    return res.ok ? (await res.text()).trim() : `status ${res.status}`;
  } catch (error) {
    return `unreachable: ${(error as Error).message}`;
  }
}

t.test('issue 11: volumes outlive versions, replicas know their host, http health gates the roll, rlimits, honest reports', async (t) => {
  const dir = scratch(t);
  const a = image(dir, 'a', serving('a'));
  const c = image(dir, 'c', serving('c'));
  const silent = image(dir, 'silent', 'exec sleep 1000'); // up, never serving
  const crash = image(dir, 'crash', 'exit 1');
  const taken = image(dir, 'taken', serving('taken', PORT + 1));
  const lab = await startLab(t, { hosts: 3, busybox: 1 });
  const why = async (r: { exitCode?: number; stdout: string; stderr: string }, want: number) =>
    r.exitCode === want ? '' : `${r.stderr}${r.stdout}${(await lab.run(['logs', 'web', '-n', '40'])).stdout}`;
  const placed = async () => {
    const hosts = JSON.parse((await lab.run(['status', 'web', '--json'])).stdout).hosts as { host: string; apps: { state: string }[] }[];
    return hosts.filter((h) => h.apps.some((x) => x.state !== 'stopped')).map((h) => lab.hosts().find((l) => l.name === h.host)!);
  };
  const everywhere = async (path: string) => Promise.all((await placed()).map((h) => get(h.address, path)));

  const first = await lab.run(['deploy', manifest(dir, 'a1', a, 'one')], 300_000);
  t.equal(first.exitCode, 0, await why(first, 0));
  const hosts = await placed();
  t.equal(hosts.length, 2, 'two replicas');
  for (const h of hosts) {
    t.equal(await get(h.address, '/host'), `${h.name} ${h.address}`, `${h.name}: VZ_HOST and VZ_HOST_ADDR are its inventory name and address`);
    t.match(await get(h.address, '/limits'), /^Max open files\s+4096\s+4096\s/, `${h.name}: the manifest's rlimits apply`);
  }
  t.same(await everywhere('/key'), ['one', 'one'], 'the volume, owned by uid 1000, holds the first key');

  // An env-only redeploy: a new version directory, the same volume.
  const envOnly = await lab.run(['deploy', manifest(dir, 'a2', a, 'two')], 300_000);
  t.equal(envOnly.exitCode, 0, await why(envOnly, 0));
  t.same(await everywhere('/version'), ['a two', 'a two'], 'the new version runs');
  t.same(await everywhere('/key'), ['one', 'one'], 'the key written before the redeploy is still there');

  // Up but not serving: the http check fails within the timeout, the batch goes back to the previous image.
  const dead = await lab.run(['deploy', manifest(dir, 'silent', silent, 'three')], 300_000);
  t.equal(dead.exitCode, 2, `a version that does not serve is unhealthy${await why(dead, 2)}`);
  t.match(dead.stdout, /unhealthy: GET http:\/\/127\.0\.1\.\d+:18080\/version: connection refused/, 'the probe says why');
  t.match(dead.stdout, /ROLLED BACK/);
  t.notMatch(dead.stdout, /no previous image/, 'one true thing: it was rolled back');
  t.same(await everywhere('/version'), ['a three', 'a three'], 'rolled back to the serving image');
  t.same(await everywhere('/key'), ['one', 'one'], 'the key survives the automatic rollback');

  // A server that cannot bind (the port is held, as an orphan held nginx's): unhealthy, rolled back.
  const holders = await Promise.all(hosts.map((h) => new Promise<Server>((ok) => { const s = createServer((sock) => sock.destroy()); s.listen(PORT + 1, h.address, () => ok(s)); })));
  t.teardown(() => holders.forEach((s) => s.close()));
  const busy = await lab.run(['deploy', manifest(dir, 'taken', taken, 'five', 2, PORT + 1)], 300_000);
  t.equal(busy.exitCode, 2, `a server whose port is taken is unhealthy${await why(busy, 2)}`);
  t.match(busy.stdout, /ROLLED BACK/);
  t.same(await everywhere('/version'), ['a five', 'a five'], 'rolled back to the serving image');
  holders.forEach((s) => s.close());

  const next = await lab.run(['deploy', manifest(dir, 'c', c, 'four')], 300_000);
  t.equal(next.exitCode, 0, await why(next, 0));
  t.same(await everywhere('/version'), ['c four', 'c four']);
  const back = await lab.run(['rollback', 'web'], 300_000);
  t.equal(back.exitCode, 0, await why(back, 0));
  t.same((await everywhere('/version')).map((v) => v.split(' ')[0]), ['a', 'a'], 'rollback runs the previous image');
  t.same(await everywhere('/key'), ['one', 'one'], 'the key survives a rollback');

  // Only what moves: 2 -> 3 replicas sends nothing to the two hosts already current.
  const counted = join(dir, 'scale.log');
  const scaled = await vzmaster(['deploy', manifest(dir, 'scale', a, 'four', 3), '--json'], { env: { ...lab.env, VZ_ANSIBLE_LOG: counted }, timeout: 300_000, scratchDir: dir });
  t.equal(scaled.exitCode, 0, await why(scaled, 0));
  const results = (JSON.parse(scaled.stdout).hosts as { host: string; status: string }[]).map((h) => h.status).sort();
  t.same(results, ['changed', 'ok', 'ok'], 'the new host changed, the two others are ok');
  t.same(readFileSync(counted, 'utf8').trim().split('\n'), ['command host status', 'copy', 'copy', 'command host apply'], 'four ansible processes, as for one new host');
  t.same((await everywhere('/key')).sort(), ['four', 'one', 'one'], "the new host's volume is its own, made on its first start");

  // A harmless stop: an app no host has is ok everywhere.
  const stop = await lab.run(['stop', 'never-here', '--json']);
  t.equal(stop.exitCode, 0, stop.stderr + stop.stdout);
  t.same((JSON.parse(stop.stdout).hosts as { status: string }[]).map((h) => h.status), ['ok', 'ok', 'ok']);

  // Status that tells the truth: a program that exits at once is never `running`, on sysvinit and busybox hosts.
  const started = await lab.run(['start', 'crash', '--image', crash], 120_000);
  t.equal(started.exitCode, 0, started.stderr + started.stdout);
  const seen = new Set<string>();
  for (const end = Date.now() + 6_000; Date.now() < end; ) {
    const rows = JSON.parse((await lab.run(['status', 'crash', '--json'])).stdout).hosts as { apps: { state: string }[] }[];
    for (const h of rows) for (const x of h.apps) seen.add(x.state);
  }
  t.notOk(seen.has('running'), `a crash-looping entry is never shown as running (seen: ${[...seen].join(', ')})`);
  t.ok([...seen].some((s) => /restarting|backoff|crash-loop/.test(s)), 'it shows as restarting, backoff or crash-loop');
  await lab.run(['stop', 'crash']);
  // The same on a supervisor-mode host (vz_mode: supervisor in a copy of the lab's inventory).
  const sup = lab.hosts()[0].name;
  const doc = parseYaml(readFileSync(lab.inventory, 'utf8')) as { all: { children: Record<string, { hosts: Record<string, Record<string, unknown>> }> } };
  Object.values(doc.all.children).find((g) => g.hosts[sup])!.hosts[sup].vz_mode = 'supervisor';
  const supInventory = join(dir, 'supervisor.yml');
  writeFileSync(supInventory, stringifyYaml(doc));
  const supFlags = ['-i', supInventory, '--config', join(lab.dir, 'vzmaster.json')]; // the lab's ssh settings
  const supStart = await lab.run(['start', 'crash', '--image', crash, ...supFlags, '--limit', sup], 120_000);
  t.equal(supStart.exitCode, 0, supStart.stderr + supStart.stdout);
  const supSeen = new Set<string>();
  for (const end = Date.now() + 6_000; Date.now() < end; ) {
    const rows = JSON.parse((await lab.run(['status', 'crash', '--json', ...supFlags, '--limit', sup])).stdout).hosts as { apps: { state: string }[] }[];
    for (const h of rows) for (const x of h.apps) supSeen.add(x.state);
  }
  t.notOk(supSeen.has('running'), `supervisor mode: never running either (seen: ${[...supSeen].join(', ')})`);
  await lab.run(['stop', 'crash', ...supFlags]);

  // The volume goes only when asked, confirmed.
  const refused = await lab.run(['volume', 'rm', 'web', 'data']);
  t.equal(refused.exitCode, 1, 'no terminal, no --yes: refused');
  t.match(refused.stderr, /confirm with --yes/);
  const removed = await lab.run(['volume', 'rm', 'web', 'data', '--yes', '--json']);
  t.equal(removed.exitCode, 0, removed.stderr + removed.stdout);
  t.same((JSON.parse(removed.stdout).hosts as { status: string }[]).map((h) => h.status), ['changed', 'changed', 'changed']);
});
