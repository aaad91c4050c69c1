import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { host, pidsOf, sleep, waitFor } from './helpers.ts';

t.test('disk full while writing state: the previous state stays whole; writing resumes when space returns', async (t) => {
  const h = host(t, 'baseMs=20');
  mkdirSync(h.stateDir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'vz-test-full', h.stateDir]);
  h.bundle('s', { args: ['sleep', '1301'] });
  h.writeTable([`s:respawn:${h.dir}/bundles/s`]);
  h.start();
  const running = await waitFor('running', () => h.unit('s')?.state === 'running' && h.unit('s'));
  await sleep(300);
  const before = readFileSync(join(h.stateDir, 'state.json'), 'utf8');
  const filler = join(h.stateDir, 'filler');
  // issue 10: the fill must fail with ENOSPC; a write that succeeds means the disk is not full and the test is void.
  t.throws(() => writeFileSync(filler, Buffer.alloc(128 * 1024)), { code: 'ENOSPC' }, 'the tmpfs is full');
  process.kill(running.pid, 'SIGKILL');
  await waitFor('write failure logged', () => h.readEvents().some((e) => e.event === 'state-write-failed'));
  await waitFor('restarted', () => h.readEvents().filter((e) => e.event === 'start').length >= 2);
  const during = readFileSync(join(h.stateDir, 'state.json'), 'utf8');
  t.equal(during, before, 'the previous state, byte for byte');
  t.equal(JSON.parse(during).units[0].restarts, 0);
  const status = await h.runch(['status', 's', '--json']);
  t.equal(status.exitCode, 0, 'status still reads it');
  rmSync(filler);
  await waitFor('state written again', () => h.unit('s')?.restarts === 1 && h.unit('s')?.state === 'running', 10_000);
  t.ok(h.readEvents().some((e) => e.event === 'state-write-ok'));
});

t.test('an unknown id: enable, disable, logs and status refuse it with one line', async (t) => {
  const h = host(t);
  h.writeTable(['# empty']);
  const enable = await h.runch(['enable', 'ghost']);
  t.equal(enable.exitCode, 1);
  t.match(enable.stderr, /^runch: enable: "ghost" is not in the table .*: add it with --bundle DIR$/);
  const disable = await h.runch(['disable', 'ghost']);
  t.equal(disable.exitCode, 1);
  t.match(disable.stderr, /disable: "ghost" is not in the table/);
  const bad = await h.runch(['enable', 'x', '--bundle', '/b', '--restart', 'sometimes']);
  t.match(bad.stderr, /--restart "sometimes" is unknown/);
  t.equal(readFileSync(h.table, 'utf8'), '# empty\n', 'nothing written');
  const added = await h.runch(['enable', 'new1', '--bundle', '/srv/b', '--cron', '0 3 * * *']);
  t.equal(added.exitCode, 0, added.stderr);
  t.equal(readFileSync(h.table, 'utf8'), '# empty\nnew1:cron 0 3 * * *:/srv/b\n');
});

t.test('SIGTERM while the supervisor is still starting its containers: everything stops and it exits', async (t) => {
  const h = host(t);
  const ids = Array.from({ length: 15 }, (_, i) => `b${i}`);
  ids.forEach((id, i) => h.bundle(id, { args: ['sleep', String(1500 + i)] }));
  h.writeTable(ids.map((id) => `${id}:respawn:${h.dir}/bundles/${id}`));
  const sup = h.start();
  await waitFor('boot under way', () => existsSync(h.root) && readdirSync(h.root).length > 0, 20_000);
  sup.process.kill('SIGTERM');
  const exited = await Promise.race([sup.exited.then(() => true), sleep(30_000).then(() => false)]);
  t.ok(exited, 'the supervisor exited');
  t.same(ids.flatMap((_, i) => pidsOf(['sleep', String(1500 + i)])), [], 'no container left running');
});
