import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { busyboxBundle, scratch } from '../helpers/fixtures.ts';
import { startLab, vzmaster } from '../helpers/lab.ts';

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
async function placement(lab: Lab): Promise<Record<string, string>> {
  const result = await lab.run(['status', 'web', '--json']);
  const hosts = JSON.parse(result.stdout).hosts as { host: string; apps: { state: string; bundle: string }[] }[];
  const where: Record<string, string> = {};
  // A version dir is <image digest 16>-<config digest 8>: the image is its first 16 characters.
  for (const h of hosts) for (const a of h.apps) if (a.state !== 'stopped') where[h.host] = a.bundle.split('/').pop()!.slice(0, 16);
  return where;
}

t.test('deploy: spread over vendors, rolling update, automatic rollback, rollback, host loss and return', async (t) => {
  const dir = scratch(t);
  const v1 = image(dir, 'v1', 'echo "v1 $GREETING"; exec sleep 1000');
  const v2 = image(dir, 'v2', 'echo "v2 $GREETING"; exec sleep 1000');
  const bad = image(dir, 'bad', 'echo crashing; exit 1');
  const digest = (path: string) => path.split('/').pop()!.slice(0, 16);
  const lab = await startLab(t, { hosts: 3, busybox: 1 });

  // On failure, the app's log from every host says why (a deploy's own output only says "unhealthy").
  const why = async (r: { exitCode?: number; stdout: string; stderr: string }, want: number) =>
    r.exitCode === want ? '' : `${r.stderr}${r.stdout}${(await lab.run(['logs', 'web', '-n', '40'])).stdout}`;
  // issue 10: a new-app deploy is at most 4 ansible processes, health wait included (status, runch, image, apply).
  const counted = join(dir, 'ansible.log');
  const first = await vzmaster(['deploy', manifest(dir, 'v1', v1)], { env: { ...lab.env, VZ_ANSIBLE_LOG: counted }, timeout: 300_000, scratchDir: dir });
  t.equal(first.exitCode, 0, await why(first, 0));
  t.same(readFileSync(counted, 'utf8').trim().split('\n'), ['command host status', 'copy', 'copy', 'command host apply'], 'four ansible processes');
  t.equal(first.stderr.split('\n').filter((l) => l.startsWith('deploy apply:')).length, 1, 'one progress line per step (issue 10: was printed twice)');
  let where = await placement(lab);
  t.equal(Object.keys(where).length, 2, 'two replicas');
  const vendors = new Set(Object.keys(where).map((host) => lab.hosts().find((h) => h.name === host)!.vendor));
  t.equal(vendors.size, 2, 'on two different vendors');

  const second = await lab.run(['deploy', manifest(dir, 'v2', v2)], 300_000);
  t.equal(second.exitCode, 0, await why(second, 0));
  t.match(second.stdout, /summary: ok=0 changed=2 failed=0 unreachable=0/, 'a new version is a change on both hosts');
  where = await placement(lab);
  t.same(Object.values(where), [digest(v2), digest(v2)], 'both replicas run v2');
  const logs = await lab.run(['logs', 'web', '-n', '50']);
  t.match(logs.stdout, /v2 hi; rm -rf \//);

  const broken = await lab.run(['deploy', manifest(dir, 'bad', bad, 1)], 300_000);
  t.equal(broken.exitCode, 2, 'an unhealthy deploy fails');
  t.match(broken.stdout, /ROLLED BACK/);
  t.match(broken.stdout, /unhealthy/);
  where = await placement(lab);
  t.same(Object.values(where), [digest(v2), digest(v2)], 'the failed batch was rolled back to v2; the next batch never started');

  const back = await lab.run(['rollback', 'web'], 300_000);
  t.equal(back.exitCode, 0, await why(back, 0));
  where = await placement(lab);
  t.same(Object.values(where), [digest(v1), digest(v1)], 'rollback runs the previous image, v1');

  // A VPS vanishes: the rerun reports it and moves its replica to the host left.
  const lost = Object.keys(where)[0];
  await lab.run(['lab', 'stop-host', lost]);
  const moved = await lab.run(['deploy', manifest(dir, 'v1', v1)], 300_000);
  t.equal(moved.exitCode, 4, `an unreachable host makes the exit code 4${await why(moved, 4)}`);
  t.match(moved.stdout, new RegExp(`${lost} is unreachable: its replica is rescheduled`));
  where = await placement(lab);
  t.equal(Object.keys(where).length, 2, 'two replicas on the survivors');
  t.notOk(lost in where);

  // It comes back: the surplus replica is stopped.
  await lab.run(['lab', 'start-host', lost]);
  const converged = await lab.run(['deploy', manifest(dir, 'v1', v1)], 300_000);
  t.equal(converged.exitCode, 0, await why(converged, 0));
  // An unchanged redeploy: the status round trip alone.
  const unchanged = join(dir, 'unchanged.log');
  const again = await vzmaster(['deploy', manifest(dir, 'v1', v1)], { env: { ...lab.env, VZ_ANSIBLE_LOG: unchanged }, timeout: 300_000, scratchDir: dir });
  t.equal(again.exitCode, 0, await why(again, 0));
  t.same(readFileSync(unchanged, 'utf8').trim().split('\n'), ['command host status'], 'an unchanged redeploy is one ansible process');
  t.match(converged.stdout, /surplus replica/);
  // The same manifest again: the two kept replicas already run it (ok), only the surplus one changed.
  const results = [...converged.stdout.matchAll(/^(vps\d+)\s+(ok|changed|failed|unreachable)\s/gm)].map((m) => m[2]).sort();
  t.same(results, ['changed', 'ok', 'ok'], `a redeploy of the running version is ok where it runs: ${converged.stdout}`);
  where = await placement(lab);
  t.equal(Object.keys(where).length, 2, 'exactly two replicas again');
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
