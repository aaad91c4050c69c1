// Issue 4: the host's two modes under a real sysvinit: init respawns each container, or one `runch supervise`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { busyboxBundle, scratch } from '../helpers/fixtures.ts';
import { startInit, waitFor } from '../helpers/init-ns.ts';

t.test('sysvinit: init mode -> supervisor mode -> init mode', async (t) => {
  const ns = await startInit(t, 'sysvinit', 'id:2:initdefault:\n');
  const dir = scratch(t);
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['sh', '-c', 'exec sleep 1000'] });
  t.equal((await ns.runch(['init', 'add', 'web1', '--bundle', bundle])).exitCode, 0);
  t.ok(await waitFor(() => ns.pidsExactly('sleep 1000').length === 1, 15_000), 'init mode: init runs the container');
  t.equal((await ns.runch(['init', 'mode'])).stdout, 'init\n');

  const toSupervisor = await ns.runch(['init', 'mode', 'supervisor']);
  t.equal(toSupervisor.exitCode, 0, toSupervisor.stderr);
  const supervisor = await waitFor(() => ns.pidsOf(' supervise')[0], 15_000);
  t.ok(supervisor, 'supervisor mode: init runs runch supervise');
  t.ok(await waitFor(() => ns.pidsExactly('sleep 1000').length === 1, 20_000), 'which runs the container');
  const tabs = readFileSync(join(ns.etc, 'inittab.d', 'vz-vz-supervise.tab'), 'utf8');
  t.match(tabs, /:2345:respawn:\S+ \S+ supervise\n/);
  t.equal((await ns.runch(['init', 'apply'])).stdout, 'no change: init not reloaded\n');

  process.kill(supervisor, 'SIGKILL');
  const again = await waitFor(() => ns.pidsOf(' supervise').find((p) => p !== supervisor), 15_000);
  t.ok(again, 'a SIGKILLed supervisor is respawned by init');
  await new Promise((r) => setTimeout(r, 1_000));
  t.equal(ns.pidsExactly('sleep 1000').length, 1, 'and finds its container again: no duplicate');

  const toInit = await ns.runch(['init', 'mode', 'init']);
  t.equal(toInit.exitCode, 0, toInit.stderr);
  t.same(ns.pidsOf(' supervise'), [], 'back in init mode: no supervisor');
  t.ok(await waitFor(() => ns.pidsExactly('sleep 1000').length === 1, 20_000), 'init runs the container again');
  t.same(ns.pidsOf('runch'), [], 'nothing of vz resident');

  // The table set off by hand, behind init's back: the next spawn applies it instead of running the container.
  const table = join(ns.etc, 'vz/table');
  writeFileSync(table, readFileSync(table, 'utf8').replace('web1:respawn', 'web1:off'));
  process.kill(ns.pidsExactly('sleep 1000')[0], 'SIGKILL');
  // (30 s: the respawn may first wait out the launcher's backoff, and runch prepare is a Node start on a busy machine.)
  const applied = await waitFor(() => /:off:/.test(readFileSync(join(ns.etc, 'inittab.d', 'vz-web1.tab'), 'utf8')), 30_000);
  const seen = () => { try { return readFileSync(ns.path('/var/log/vz/web1.log'), 'utf8').split('\n').slice(-8).join(' | '); } catch { return 'no log'; } };
  t.ok(applied, `runch init exec applied the table${applied ? '' : ` (web1's log: ${seen()}; console: ${ns.console().slice(-400)})`}`);
  await new Promise((r) => setTimeout(r, 1_000));
  t.same(ns.pidsOf('sleep 1000'), [], 'and the container stayed stopped');
  t.same(ns.pidsOf('runch'), []);
  t.equal((await ns.runch(['init', 'remove', 'web1'])).exitCode, 0);
  t.same(ns.pidsOf('sleep 1000'), []);
});

t.test('sysvinit with a managed block in /etc/inittab (--init sysvinit-block)', async (t) => {
  const original = 'id:2:initdefault:\n# a foreign comment\nca:12345:ctrlaltdel:/bin/true';
  const ns = await startInit(t, 'sysvinit', original);
  const dir = scratch(t);
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['sh', '-c', 'exec sleep 1000'] });
  const init = (...args: string[]) => ns.runch(['init', ...args, '--init', 'sysvinit-block']);
  const added = await init('add', 'web1', '--bundle', bundle);
  t.equal(added.exitCode, 0, added.stderr);
  t.match(readFileSync(join(ns.etc, 'inittab'), 'utf8'), /^id:2:initdefault:\n# a foreign comment\nca:12345:ctrlaltdel:\/bin\/true\n# BEGIN vz managed block[^\n]*\(newline added above\)\n# vz: web1\n[0-9a-z]{4}:2345:respawn:\S+\/launch\/web1\n# END vz managed block\n$/);
  const first = await waitFor(() => ns.pidsExactly('sleep 1000')[0], 15_000);
  t.ok(first, 'sysvinit runs the entry from the block');
  process.kill(first, 'SIGKILL');
  t.ok(await waitFor(() => ns.pidsExactly('sleep 1000').find((p) => p !== first), 15_000), 'and respawns it');
  t.equal((await init('apply')).stdout, 'no change: init not reloaded\n');
  t.equal((await init('stop', 'web1')).exitCode, 0);
  t.same(ns.pidsOf('sleep 1000'), [], 'stopped');
  t.match(readFileSync(join(ns.etc, 'inittab'), 'utf8'), /:2345:off:/);
  t.equal((await init('remove', 'web1')).exitCode, 0);
  t.equal(readFileSync(join(ns.etc, 'inittab'), 'utf8'), original, 'byte for byte, missing last newline included');
  t.notMatch(ns.console(), /too long|duplicate|respawning too fast/);
});
