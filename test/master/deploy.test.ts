import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { busyboxBundle, scratch } from '../helpers/fixtures.ts';
import { startLab } from '../helpers/lab.ts';

const VZIMAGE = resolve(import.meta.dirname, '../../dist/vzimage.cjs');

/** A packed busybox image whose program is `script`; returns the image path. */
function image(dir: string, name: string, script: string): string {
  const bundle = busyboxBundle(join(dir, name), { args: ['sh', '-c', script], env: ['PATH=/bin'] });
  const out = join(dir, `images-${name}`);
  execFileSync(VZIMAGE, ['pack', bundle, '-o', out, '--app', 'web'], { stdio: 'ignore' });
  return join(out, readdirSync(out).find((f) => f.endsWith('.tar.gz'))!);
}

/** batch 2 (both replicas at once) keeps the test short; the broken deploy uses 1 to show the second batch never starts. */
function manifest(dir: string, name: string, imagePath: string, batch = 2): string {
  const file = join(dir, `${name}.yml`);
  writeFileSync(file, `app: web\nimage: ${imagePath}\nreplicas: 2\nenv: { GREETING: "hi; rm -rf /" }\nrolling: { batch: ${batch}, minUptime: 2, timeout: 60 }\n`);
  return file;
}

type Lab = Awaited<ReturnType<typeof startLab>>;
async function rows(lab: Lab): Promise<Record<string, { version: string; pid?: number; state: string }>> {
  const result = await lab.run(['status', 'web', '--json']);
  const hosts = JSON.parse(result.stdout).hosts as { host: string; apps: { version: string; pid?: number; state: string }[] }[];
  return Object.fromEntries(hosts.flatMap((h) => (h.apps[0] ? [[h.host, h.apps[0]]] : [])));
}

// Spread over vendors, rolling updates, automatic rollback on every init, rollback, host loss and return, and the
// ansible process counts: test/master/mixed-lab.test.ts (one lab of every init). Here, what a batch size of 1 means.
t.test('deploy: an unhealthy batch is rolled back, and the next batch never starts', async (t) => {
  const dir = scratch(t);
  const v1 = image(dir, 'v1', 'echo "v1 $GREETING"; exec sleep 1000');
  const bad = image(dir, 'bad', 'echo crashing; exit 1');
  const digest = (path: string) => path.split('/').pop()!.slice(0, 16);
  const lab = await startLab(t, { hosts: 2, busybox: 0 });
  const first = await lab.run(['deploy', manifest(dir, 'v1', v1)], 300_000);
  t.equal(first.exitCode, 0, `${first.stderr}${first.stdout}`);
  const before = await rows(lab);
  t.same(Object.keys(before).sort(), ['vps1', 'vps2'], 'two replicas');
  const broken = await lab.run(['deploy', manifest(dir, 'bad', bad, 1)], 300_000);
  t.equal(broken.exitCode, 2, 'an unhealthy deploy fails');
  t.match(broken.stdout, /ROLLED BACK/);
  t.match(broken.stdout, /^vps1\s+failed\s+unhealthy/m, 'the first batch (vps1) was unhealthy');
  const after = await rows(lab);
  t.same([after.vps1?.version.slice(0, 16), after.vps2?.version.slice(0, 16)], [digest(v1), digest(v1)], 'vps1 rolled back to v1');
  t.not(after.vps1?.pid, before.vps1?.pid, 'vps1 ran the bad version, then v1 again');
  t.equal(after.vps2?.pid, before.vps2?.pid, 'the second batch (vps2) never started: the same v1 process runs');
});

t.test('deploy refuses wrong manifests and unknown apps in one line', async (t) => {
  const dir = scratch(t);
  const lab = await startLab(t, { hosts: 1, busybox: 0 });
  writeFileSync(join(dir, 'bad.yml'), 'app: web\nimage: x.tar.gz\nreplicas: many\n');
  const wrong = await lab.run(['deploy', join(dir, 'bad.yml')]);
  t.equal(wrong.exitCode, 1);
  t.match(wrong.stderr, /replicas: .*number/i);
  const unknown = await lab.run(['rollback', 'nosuchapp']);
  t.equal(unknown.exitCode, 1);
  t.match(unknown.stderr, /app "nosuchapp" was never deployed from this master/);
});
