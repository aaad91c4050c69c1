import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { mountsBelow } from '../helpers/fixtures.ts';
import { host, pidsOf, sleep, waitFor } from './helpers.ts';

t.test('a crashing container restarts after 0, 250, 500, 1000 ms (+-20 % jitter)', async (t) => {
  const h = host(t);
  h.bundle('crash', { args: ['sh', '-c', 'echo boom; exit 3'] });
  h.writeTable([`c:respawn:${h.dir}/bundles/crash`]);
  h.start();
  await waitFor('4 restarts', () => h.readEvents().filter((e) => e.id === 'c' && e.event === 'start').length >= 5, 20_000);
  const events = h.readEvents().filter((e) => e.id === 'c' && (e.event === 'exit' || e.event === 'start'));
  const gaps: number[] = [];
  for (let i = 1; i < events.length; i++)
    if (events[i].event === 'start' && events[i - 1].event === 'exit') gaps.push((events[i].t as number) - (events[i - 1].t as number));
  t.ok(gaps.length >= 4, `gaps ${gaps}`);
  t.ok(gaps[0] < 500, `first restart at once (${gaps[0].toFixed(1)} ms)`);
  t.ok(gaps[1] >= 195 && gaps[1] < 1300, `second after ~250 ms (${gaps[1].toFixed(0)})`);
  t.ok(gaps[2] >= 395 && gaps[2] < 1600, `third after ~500 ms (${gaps[2].toFixed(0)})`);
  t.ok(gaps[3] >= 795 && gaps[3] < 2200, `fourth after ~1 s (${gaps[3].toFixed(0)})`);
  const unit = h.unit('c')!;
  t.same(unit.lastExit && [unit.lastExit.code, unit.lastExit.signal], [3, null], 'last exit code recorded');
});

t.test('a crash loop shows crash-loop with the time of the next try, and stops trying meanwhile', async (t) => {
  const h = host(t, 'baseMs=20,loopDeaths=4,loopHoldMs=60000');
  h.bundle('crash', { args: ['sh', '-c', 'exit 1'] });
  h.writeTable([`c:respawn:${h.dir}/bundles/crash`]);
  h.start();
  const unit = await waitFor('crash-loop', () => h.unit('c')?.state === 'crash-loop' && h.unit('c'));
  const next = Date.parse(unit.nextTry!) - Date.now();
  t.ok(next > 50_000 && next <= 60_000, `next try in ~60 s (${next} ms)`);
  t.equal(unit.restarts, 3, '4 deaths: 3 restarts, then the hold');
  await sleep(1000);
  t.equal(h.unit('c')!.restarts, 3, 'no busy loop while held');
  const status = await h.runch(['status', 'c']);
  t.equal(status.exitCode, 0, status.stderr);
  t.match(status.stdout, /c\s+respawn\s+crash-loop\s+-\s+-\s+3\s+code 1\s+\d{4}-\d\d-\d\dT/);
  const json = JSON.parse((await h.runch(['status', '--json'])).stdout);
  t.equal(json.units[0].state, 'crash-loop');
  t.ok(json.units[0].nextTry);
  t.ok(h.readEvents().some((e) => e.event === 'crash-loop' && e.level === 'info'), 'crash-loop event logged');
});

t.test('bad input: a malformed line and an invalid bundle are named; the other entries run', async (t) => {
  const h = host(t);
  h.bundle('ok', { args: ['sleep', '1001'] });
  h.bundle('broken', { args: ['/bin/no-such-program'] });
  h.writeTable(['# comment', `ok:respawn:${h.dir}/bundles/ok`, 'typo:respwn:/x', `bad:respawn:${h.dir}/bundles/broken`, `ok:respawn:${h.dir}/bundles/ok`]);
  h.start();
  await waitFor('ok running and bad invalid', () => h.unit('ok')?.state === 'running' && h.unit('bad')?.state === 'invalid');
  const state = h.state()!;
  t.same(state.tableErrors.map((e) => e.line), [3, 5]);
  t.match(state.tableErrors[0].message, /table line 3: action "respwn" is unknown/);
  t.match(state.tableErrors[1].message, /table line 5: duplicate id "ok" \(first on line 2\)/);
  t.match(h.unit('bad')!.error, /no-such-program/);
  t.equal(pidsOf(['sleep', '1001']).length, 1, 'one ok container');
  const status = await h.runch(['status']);
  t.match(status.stdout, /bad\s+respawn\s+invalid/);
  t.match(status.stdout, /table line 3: action "respwn" is unknown/);
  const unknown = await h.runch(['status', 'nope']);
  t.equal(unknown.exitCode, 1);
  t.match(unknown.stderr, /"nope" is not in the table/);
  // Fixed bundle + SIGHUP: the invalid entry is retried.
  h.bundle('fixed', { args: ['sleep', '1002'] });
  h.writeTable([`ok:respawn:${h.dir}/bundles/ok`, `bad:respawn:${h.dir}/bundles/fixed`]);
  await waitFor('bad fixed', () => h.unit('bad')?.state === 'running');
  t.equal(h.state()!.tableErrors.length, 0);
});

t.test('reload: new entries start, removed ones stop, changed ones restart, untouched ones stay', async (t) => {
  const h = host(t);
  for (const name of ['a', 'b', 'c', 'd']) h.bundle(name, { args: ['sleep', `20${name.charCodeAt(0)}`] });
  const b = (n: string) => `${h.dir}/bundles/${n}`;
  h.writeTable([`a:respawn:${b('a')}`, `b:respawn:${b('b')}`, `c:respawn:${b('c')}`]);
  h.start();
  await waitFor('3 running', () => ['a', 'b', 'c'].every((id) => h.unit(id)?.state === 'running'));
  // Issue 12: each bundle started through its compiled form, cached in the runch root.
  const forms = () => (existsSync(join(h.root, '.compiled')) ? readdirSync(join(h.root, '.compiled')).filter((n) => n.endsWith('.json')) : []);
  const formOf = (bundle: string) => forms().find((n) => JSON.parse(readFileSync(join(h.root, '.compiled', n), 'utf8')).bundle === bundle);
  t.equal(forms().length, 3, 'one compiled form per bundle');
  const before = Object.fromEntries(['a', 'b', 'c'].map((id) => [id, h.unit(id)!.pid]));
  h.writeTable([`a:respawn:${b('a')}`, `b:respawn:${b('b')}:stop-timeout=3s`, `d:respawn:${b('d')}`]);
  await waitFor('reload applied', () => h.unit('d')?.state === 'running' && !h.unit('c') && h.unit('b')?.state === 'running' && h.unit('b')!.pid !== before.b);
  t.equal(h.unit('a')!.pid, before.a, 'untouched entry not disturbed');
  t.equal(h.unit('a')!.restarts, 0);
  t.notOk(existsSync(join(h.root, 'c')), 'removed entry: runch state deleted');
  await waitFor('removed entry forgotten', () => formOf(b('c')) === undefined, 5_000).catch(() => undefined);
  t.equal(formOf(b('c')), undefined, 'removed entry: its compiled form deleted');
  t.ok(formOf(b('a')) && formOf(b('d')), 'the others keep theirs');
  t.same(pidsOf(['sleep', '2099']), [], 'removed entry: process gone');
  t.same(await mountsBelow(`${h.dir}/bundles`), [], 'no mounts left');
});

t.test('stop: stop signal, timeout, SIGKILL to every process of the container, then delete', async (t) => {
  const h = host(t);
  h.bundle('stubborn', { args: ['sh', '-c', 'trap "" TERM; sleep 1003 & sleep 1004; wait'] });
  h.writeTable([`s:respawn:${h.dir}/bundles/stubborn:stop-timeout=700ms`]);
  h.start();
  await waitFor('running', () => h.unit('s')?.state === 'running' && pidsOf(['sleep', '1003']).length === 1 && pidsOf(['sleep', '1004']).length === 1);
  const began = Date.now();
  const disable = await h.runch(['disable', 's']);
  t.equal(disable.exitCode, 0, disable.stderr);
  await waitFor('stopped', () => h.unit('s')?.state === 'stopped');
  const took = Date.now() - began;
  t.ok(took >= 650, `TERM ignored: waited the stop timeout (${took} ms)`);
  t.same([...pidsOf(['sleep', '1003']), ...pidsOf(['sleep', '1004'])], [], 'the background child was killed too');
  t.notOk(existsSync(join(h.root, 's')), 'deleted');
  t.ok(h.readEvents().some((e) => e.event === 'kill' && e.id === 's'), 'SIGKILL logged');
});
