import { readFileSync } from 'node:fs';
import t from 'tap';
import { host, pidsOf, sleep, waitFor } from './helpers.ts';

t.test('issue 10: runch kill only signals (the supervisor restarts it); runch disable stops it for good, across a reload and a supervisor restart', async (t) => {
  const h = host(t);
  h.bundle('k', { args: ['sleep', '1101'] });
  h.bundle('other', { args: ['sleep', '1102'] });
  h.writeTable([`k:respawn:${h.dir}/bundles/k`, `o:respawn:${h.dir}/bundles/other`]);
  const first = h.start();
  await waitFor('running', () => h.unit('k')?.state === 'running' && h.unit('o')?.state === 'running');
  const killedPid = h.unit('k')!.pid;
  const kill = await h.runch(['kill', 'k', 'KILL']);
  t.equal(kill.exitCode, 0, kill.stderr);
  await waitFor('restarted', () => h.unit('k')?.state === 'running' && h.unit('k')!.pid !== killedPid);
  t.equal(h.unit('k')!.restarts, 1, 'a death like any other: the policy restarted it');
  t.match(readFileSync(h.table, 'utf8'), /^k:respawn:/m, 'the table is untouched');
  const gone = await h.runch(['kill', '--table', h.table, 'k']);
  t.equal(gone.exitCode, 1, 'kill knows no table');
  t.match(gone.stderr, /^runch: kill: Unknown option '--table'/);
  const disable = await h.runch(['disable', 'k']);
  t.equal(disable.exitCode, 0, disable.stderr);
  t.match(readFileSync(h.table, 'utf8'), /^k:off:/m, 'the table says off');
  await waitFor('stopped', () => h.unit('k')?.state === 'stopped');
  await sleep(800);
  t.same(pidsOf(['sleep', '1101']), [], 'not restarted');
  first.process.kill('SIGHUP');
  await sleep(500);
  t.same(pidsOf(['sleep', '1101']), [], 'not restarted by a reload');
  await first.stop();
  h.start();
  await waitFor('o running again', () => h.unit('o')?.state === 'running' && h.state()!.supervisor.pid !== first.pid);
  await sleep(500);
  t.same(pidsOf(['sleep', '1101']), [], 'not restarted by a new supervisor');
  t.equal(h.unit('k')!.state, 'stopped');
  const stopped = await h.runch(['kill', 'k']);
  t.equal(stopped.exitCode, 1, 'nothing left to signal');
  t.match(stopped.stderr, /container "k" does not exist/);
  const enable = await h.runch(['enable', 'k']);
  t.equal(enable.exitCode, 0, enable.stderr);
  await waitFor('enabled again', () => pidsOf(['sleep', '1101']).length === 1 && h.unit('k')?.state === 'running');
  // A non-stopping signal is passed on and changes nothing in the table.
  const hup = await h.runch(['kill', 'o', 'USR1']);
  t.equal(hup.exitCode, 0);
  t.match(readFileSync(h.table, 'utf8'), /^o:respawn:/m);
});

t.test('supervisor SIGKILLed: containers keep running; the next one adopts them, no duplicate, and still restarts them', async (t) => {
  const h = host(t, 'baseMs=20');
  for (const n of ['1', '2', '3']) h.bundle(n, { args: ['sleep', `120${n}`] });
  h.writeTable(['1', '2', '3'].map((n) => `s${n}:respawn:${h.dir}/bundles/${n}`));
  const first = h.start(['--adopt-poll-ms', '100']);
  await waitFor('running', () => ['s1', 's2', 's3'].every((id) => h.unit(id)?.state === 'running'));
  const pids = ['s1', 's2', 's3'].map((id) => h.unit(id)!.pid);
  first.process.kill('SIGKILL');
  await first.exited;
  t.same(['1', '2', '3'].map((n) => pidsOf(['sleep', `120${n}`]).length), [1, 1, 1], 'the containers outlive their supervisor');
  const status = await h.runch(['status']);
  t.match(status.stdout, /supervisor: not running/, 'status works without a supervisor');
  t.match(status.stdout, /s1\s+respawn\s+running/);
  const second = h.start(['--adopt-poll-ms', '100']);
  await waitFor('adopted', () => h.state()?.supervisor.pid === second.pid && h.readEvents().filter((e) => e.event === 'adopt').length === 3);
  await sleep(500);
  t.same(['1', '2', '3'].map((n) => pidsOf(['sleep', `120${n}`]).length), [1, 1, 1], 'no duplicate');
  t.same(['s1', 's2', 's3'].map((id) => h.unit(id)!.pid), pids, 'the same processes');
  // An adopted container that dies is noticed (from /proc) and restarted.
  process.kill(pids[0], 'SIGKILL');
  await waitFor('restarted', () => h.unit('s1')?.state === 'running' && h.unit('s1')!.pid !== pids[0]);
  t.equal(h.unit('s1')!.restarts, 1);
  t.equal(pidsOf(['sleep', '1201']).length, 1);
  // A graceful stop now stops adopted ones too.
  await second.stop();
  t.same(['1', '2', '3'].flatMap((n) => pidsOf(['sleep', `120${n}`])), [], 'SIGTERM of the supervisor stops everything');
  t.same(h.state()!.units.map((u) => u.state), ['stopped', 'stopped', 'stopped']);
});
