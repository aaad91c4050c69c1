import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { busyboxBundle, scratch } from '../helpers/fixtures.ts';
import { startLab, vzmaster } from '../helpers/lab.ts';

const VZIMAGE = resolve(import.meta.dirname, '../../dist/vzimage.cjs');

/** A real image: a busybox bundle packed by vzimage. */
function sleeperImage(dir: string): string {
  const bundle = busyboxBundle(join(dir, 'hello'), { args: ['sh', '-c', 'echo "started [$GREETING]"; exec sleep 1000'], env: ['PATH=/bin', 'GREETING=default'] });
  execFileSync(VZIMAGE, ['pack', bundle, '-o', join(dir, 'images'), '--app', 'hello'], { stdio: 'ignore' });
  return join(dir, 'images', readdirSync(join(dir, 'images')).find((f) => f.endsWith('.tar.gz'))!);
}

type Lab = Awaited<ReturnType<typeof startLab>>;
async function statusOf(lab: Lab) {
  const result = await lab.run(['status', 'hello', '--json']);
  return JSON.parse(result.stdout).hosts as { host: string; reachable: boolean; apps: { id: string; state: string; pid?: number }[] }[];
}
async function waitFor(lab: Lab, predicate: (hosts: Awaited<ReturnType<typeof statusOf>>) => boolean, ms = 30_000) {
  const deadline = Date.now() + ms;
  let last = await statusOf(lab);
  while (!predicate(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    last = await statusOf(lab);
  }
  return last;
}

t.test('start on a sysvinit and a busybox host; init respawns a killed container; stop stays stopped; re-push sends nothing', async (t) => {
  const dir = scratch(t);
  const image = sleeperImage(dir);
  const lab = await startLab(t, { hosts: 2, busybox: 1 });
  const env = 'GREETING=hi; $(touch /tmp/pwned) "quoted" {{ lookup(\'pipe\', \'id\') }}';
  const counted = join(dir, 'ansible.log');
  const started = await vzmaster(['start', 'hello', '--image', image, '--env', env], { env: { ...lab.env, VZ_ANSIBLE_LOG: counted }, timeout: 240_000, scratchDir: dir });
  t.equal(started.exitCode, 0, started.stderr);
  // issue 10: the copies of runch and the image, then one host command (was 11 ansible processes).
  t.same(readFileSync(counted, 'utf8').trim().split('\n'), ['copy', 'copy', 'command host apply'], 'three ansible processes per start');
  t.match(started.stdout, /summary: ok=0 changed=2 failed=0 unreachable=0/);

  const running = await waitFor(lab, (hosts) => hosts.every((h) => h.apps[0]?.state === 'running'));
  t.same(running.map((h) => h.apps[0]?.state), ['running', 'running'], 'running on both hosts');

  // The same start again: every step finds the host as wanted, so every host is ok (runch says "no change").
  const same = await lab.run(['start', 'hello', '--image', image, '--env', env], 240_000);
  t.equal(same.exitCode, 0, same.stderr);
  t.match(same.stdout, /summary: ok=2 changed=0 failed=0 unreachable=0/, 'starting what already runs changes nothing');
  t.same((await statusOf(lab)).map((h) => h.apps[0]?.pid), running.map((h) => h.apps[0]?.pid), 'and restarts nothing');

  // Only the env changes: a new version all the same, so the app restarts with it.
  const changedEnv = await lab.run(['start', 'hello', '--image', image, '--env', 'GREETING=changed'], 240_000);
  t.equal(changedEnv.exitCode, 0, changedEnv.stderr);
  t.match(changedEnv.stdout, /summary: ok=0 changed=2 failed=0 unreachable=0/, 'an env change is a change');
  const restarted = await waitFor(lab, (hosts) => hosts.every((h, i) => h.apps[0]?.state === 'running' && h.apps[0]?.pid !== running[i].apps[0]?.pid));
  t.ok(restarted.every((h, i) => h.apps[0]?.pid !== running[i].apps[0]?.pid), 'and restarts the app on every host');
  const changedLogs = await lab.run(['logs', 'hello', '-n', '1']);
  t.match(changedLogs.stdout, /vps1 \| .*started \[changed\]/, 'which now sees the new value');
  t.match(changedLogs.stdout, /vps2 \| .*started \[changed\]/);
  // Older versions on vps1 (as many deploys would leave): the next start keeps the newest three, the running one too.
  const versions = join(lab.dir, 'hosts', 'vps1', 'vz', 'bundles', 'hello');
  const current = readdirSync(versions).sort();
  t.equal(current.length, 2, 'two versions so far: the first env and the changed one');
  for (const [i, old] of ['0000000000000001', '0000000000000002', '0000000000000003'].entries()) {
    mkdirSync(join(versions, old, 'rootfs'), { recursive: true });
    utimesSync(join(versions, old), new Date(Date.UTC(2020, 0, i + 1)), new Date(Date.UTC(2020, 0, i + 1)));
  }
  const back = await lab.run(['start', 'hello', '--image', image, '--env', env], 240_000);
  t.equal(back.exitCode, 0, back.stderr);
  t.same(readdirSync(versions).sort(), ['0000000000000003', ...current].sort(), 'older versions pruned, the newest three kept');
  running.splice(0, running.length, ...(await waitFor(lab, (hosts) => hosts.every((h, i) => h.apps[0]?.state === 'running' && h.apps[0]?.pid !== restarted[i].apps[0]?.pid))));

  const logs = await lab.run(['logs', 'hello', '-n', '5']);
  t.equal(logs.exitCode, 0, logs.stderr);
  t.match(logs.stdout, /vps1 \| .*started \[hi; \$\(touch \/tmp\/pwned\) "quoted" \{\{ lookup\('pipe', 'id'\) \}\}\]/, 'env arrived verbatim');
  t.match(logs.stdout, /vps2 \| /);
  t.notOk(existsSync('/tmp/pwned'), 'nothing in the value ran');

  // kill -9 the container inside the first host's PID namespace: its init respawns it.
  const host = lab.hosts()[0];
  const before = running.find((h) => h.host === host.name)!.apps[0].pid!;
  execFileSync('nsenter', ['-t', String(host.initPid), '-p', '-m', '--', 'kill', '-9', String(before)]);
  const respawned = await waitFor(lab, (hosts) => {
    const app = hosts.find((h) => h.host === host.name)?.apps[0];
    return app?.state === 'running' && app.pid !== before;
  });
  t.not(respawned.find((h) => h.host === host.name)!.apps[0].pid, before, 'a new process after kill -9');

  const stopped = await lab.run(['stop', 'hello']);
  t.equal(stopped.exitCode, 0, stopped.stderr);
  const after = await waitFor(lab, (hosts) => hosts.every((h) => h.apps[0]?.state === 'stopped'));
  t.same(after.map((h) => h.apps[0]?.state), ['stopped', 'stopped'], 'stopped everywhere');

  const again = await lab.run(['push', image, '--json']);
  t.equal(again.exitCode, 0, again.stderr);
  const report = JSON.parse(again.stdout);
  t.same(report.sent, [], 're-push of an unchanged image sends nothing');
  t.same(report.present.sort(), ['vps1', 'vps2']);
});

t.test('bad input: unknown flags, a missing or misnamed image, a bad app name: one line, exit 1', async (t) => {
  const dir = scratch(t);
  const lab = await startLab(t, { hosts: 1, busybox: 0 });
  const cases: [string[], RegExp][] = [
    [['start', 'Bad Name', '--image', 'x'], /app name "Bad Name" must be/],
    [['start', 'hello'], /--image FILE is missing/],
    [['push', join(dir, 'nope.tar.gz')], /is not named <sha256>/],
    [['push', join(dir, `${'0'.repeat(64)}.tar.gz`)], /cannot be read/],
    [['logs'], /the app name is missing/],
    [['status', '--bogus'], /Unknown option '--bogus'/],
    // issue 13: a schedule and on-failure are each host's to judge (systemd honours both), so they reach the image check.
    [['start', 'hello', '--image', join(dir, 'nope.tar.gz'), '--schedule', '*/5 * * * *'], /image "\S+nope\.tar\.gz" is not named <sha256>/],
    [['start', 'hello', '--image', join(dir, 'nope.tar.gz'), '--restart', 'on-failure:3'], /image "\S+nope\.tar\.gz" is not named <sha256>/],
    [['start', 'hello', '--image', join(dir, 'nope.tar.gz'), '--restart', 'sometimes'], /start: --restart "sometimes" is unknown: use no, on-failure\[:N\], always or unless-stopped/],
  ];
  for (const [args, pattern] of cases) {
    const result = await lab.run(args);
    t.equal(result.exitCode, 1, args.join(' '));
    t.match(result.stderr, pattern);
    t.equal(result.stderr.trim().split('\n').length, 1, 'one line');
  }
});
