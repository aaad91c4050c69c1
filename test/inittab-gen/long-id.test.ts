// An id too long for sysvinit's 127-character process field on paths like vzmaster's: init names the entry
// `@<inittab id>`, and runch resolves it (run, respawn, stop, start, remove under a real sysvinit as PID 1).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { derivedInittabId } from '../../inittab-gen/ids.ts';
import { PROCESS_LIMIT } from '../../inittab-gen/process-field.ts';
import { stopContainer } from '../../inittab-gen/stop.ts';
import { readTally } from '../../inittab-gen/tally.ts';
import { StateStore } from '../../runch/state/store.ts';
import { EMPTY_TALLY } from '../../supervisor/policy/index.ts';
import { busyboxBundle, RUNCH, scratch } from '../helpers/fixtures.ts';
import { startInit, waitFor } from '../helpers/init-ns.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ID = `payments-api-eu-west-${'x'.repeat(34)}-prod`; // 60 characters
const IID = derivedInittabId(ID);

t.test('sysvinit: a 60-character id on long paths runs, respawns, stops, starts and goes', async (t) => {
  t.equal(ID.length, 60);
  const original = 'id:2:initdefault:\nca:12345:ctrlaltdel:/bin/true\n';
  const ns = await startInit(t, 'sysvinit', original);
  const dir = scratch(t);
  // Non-default table and log directory, as vzmaster's hosts have (/var/lib/vz/table, /var/lib/vz/log).
  const flags = ['--table', '/etc/vz/lib/table', '--log-dir', '/var/log/vz/lib'];
  const runch = (...args: string[]) => ns.runch(['init', ...args, ...flags]);
  const web = busyboxBundle(join(dir, 'web'), { args: ['sh', '-c', 'echo started; exec sleep 1001'] });

  const added = await runch('add', ID, '--bundle', web);
  t.equal(added.exitCode, 0, added.stderr);
  const tab = join(ns.etc, 'inittab.d', `vz-${ID}.tab`);
  const head = `${process.execPath} ${RUNCH} init exec ${flags.join(' ')}`;
  t.ok(`${head} ${ID}`.length > PROCESS_LIMIT.sysvinit, `the full field would be ${`${head} ${ID}`.length} characters`);
  const line = readFileSync(tab, 'utf8').split('\n')[1];
  t.equal(line, `${IID}:2345:respawn:${head} @${IID}`, 'init names the entry by its inittab id');
  t.ok(line.split(':').slice(3).join(':').length <= PROCESS_LIMIT.sysvinit);
  const first = await waitFor(() => ns.pidsExactly('sleep 1001')[0], 15_000);
  t.ok(first, 'init ran the container');
  t.same(ns.pidsOf('runch'), [], 'runch replaced itself with it');
  t.match(readFileSync(ns.path(`/var/log/vz/lib/${ID}.log`), 'utf8'), /started/, 'its log is named by the full id');
  const status = JSON.parse((await runch('status', `@${IID}`, '--json')).stdout);
  t.match(status, [{ id: ID, state: 'running' }], 'status by the reference: the full id, running');

  process.kill(first, 'SIGKILL');
  const second = await waitFor(() => ns.pidsExactly('sleep 1001').find((p) => p !== first), 15_000);
  t.ok(second, 'killed with -9, init respawned it');
  t.equal(ns.pidsExactly('sleep 1001').length, 1, 'one instance');

  // A reference no entry has (the table edited behind init's back): one line, and the table is applied instead.
  const stray = await ns.runch(['init', 'exec', ...flags, '@zzzz']);
  t.equal(stray.exitCode, 0, stray.stderr);
  t.match(stray.stderr, /^runch: no entry has inittab id "zzzz" \(@zzzz\) in \/etc\/vz\/lib\/table but init still runs it: applying the table\n$/);

  const stopped = await runch('stop', ID);
  t.equal(stopped.exitCode, 0, stopped.stderr);
  t.same(ns.pidsOf('sleep 1001'), [], 'stop: the process is gone');
  t.match(readFileSync(tab, 'utf8'), new RegExp(`\\n${IID}:2345:off:\\S+ .* @${IID}\\n$`));
  await ns.reload();
  await sleep(2_000);
  t.same(ns.pidsOf('sleep 1001'), [], 'stays stopped across a reload of init');
  t.same(ns.pidsOf('runch'), [], 'no runch left waiting');
  t.equal(JSON.parse((await runch('status', ID, '--json')).stdout)[0].state, 'stopped');

  const started = await runch('start', `@${IID}`);
  t.equal(started.exitCode, 0, started.stderr);
  t.ok(await waitFor(() => ns.pidsExactly('sleep 1001').length === 1, 15_000), 'start (by the reference) puts it back');

  const removed = await runch('remove', ID);
  t.equal(removed.exitCode, 0, removed.stderr);
  t.same(ns.pidsOf('sleep 1001'), [], 'remove leaves no process');
  t.same(ns.pidsOf('runch'), []);
  t.notOk(existsSync(tab), 'nor its file');
  t.same(readdirSync(join(ns.etc, 'inittab.d')), [], 'inittab.d empty');
  t.equal(readFileSync(join(ns.etc, 'inittab'), 'utf8'), original, '/etc/inittab untouched');
  t.notMatch(ns.console(), /too long|respawning too fast/, 'init never complained');
});

t.test('a runch waiting out its backoff under the reference is found and ended by the stop', async (t) => {
  const dir = scratch(t);
  const root = join(dir, 'root');
  const table = join(dir, 'table');
  const bundle = busyboxBundle(join(dir, 'web'), { args: ['sh', '-c', 'exec sleep 1002'] });
  writeFileSync(table, `${ID}:respawn:${bundle}\n`);
  // 8 spawns in the last seconds: the next one must wait until 121 s after the first (init's spawn window).
  const now = Date.now();
  mkdirSync(join(root, ID), { recursive: true });
  const spawns = Array.from({ length: 8 }, (_, i) => now - 8_000 + i * 1_000);
  writeFileSync(join(root, ID, 'respawn.json'), JSON.stringify({ spawns, lastExec: now - 500, policy: EMPTY_TALLY, state: 'running' }));
  const out = openSync(join(dir, 'exec.out'), 'w');
  const child = spawn(RUNCH, ['--root', root, 'init', 'exec', '--table', table, '--log-dir', join(dir, 'log'), `@${IID}`], {
    stdio: ['ignore', out, out],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  closeSync(out);
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const store = new StateStore(root);
  const waiting = await waitFor(() => readTally(store, ID)?.state === 'crash-loop', 15_000);
  t.ok(waiting, `runch resolved @${IID} to the entry and waits (its tally, under the full id)`);
  await stopContainer(store, ID, 'SIGTERM', 5_000);
  t.ok(await waitFor(() => child.signalCode !== null || child.exitCode !== null, 10_000), 'the stop ended it');
  t.equal(child.signalCode, 'SIGTERM', 'with the stop signal');
  t.notOk(existsSync(join(root, ID, 'state.json')), 'it never became the container');
});
