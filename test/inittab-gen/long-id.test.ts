// issue 10: with the host config naming the table and logs, init's line carries only the id: a 60-character app id
// fits sysvinit's 127-character process field on vzmaster's own paths, with no @<inittab id> indirection. Driven
// through `runch host` (what vzmaster runs) under a real sysvinit as PID 1: apply, respawn, stop, start, remove.
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { derivedInittabId } from '../../inittab-gen/ids.ts';
import { PROCESS_LIMIT } from '../../inittab-gen/process-field.ts';
import { stopContainer } from '../../inittab-gen/stop.ts';
import { readTally, renderTally } from '../../inittab-gen/tally.ts';
import { StateStore } from '../../runch/state/store.ts';
import { EMPTY_TALLY } from '../../supervisor/policy/index.ts';
import { busyboxBundle, RUNCH, scratch } from '../helpers/fixtures.ts';
import { type InitNs, startInit, waitFor } from '../helpers/init-ns.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ID = `payments-api-eu-west-${'x'.repeat(34)}-prod`; // 60 characters
const IID = derivedInittabId(ID);
const VZIMAGE = resolve(import.meta.dirname, '../../dist/vzimage.cjs');
const HOST_RUNCH = '/var/lib/vz/bin/runch.cjs';

/** A request to `runch host <verb>` inside the namespace (stdin from a file), its JSON answer. */
async function host(ns: InitNs, dir: string, verb: string, request: unknown) {
  const file = join(dir, `req-${verb}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(request));
  const r = await ns.exec(['sh', '-c', 'exec "$@" < "$0"', file, process.execPath, HOST_RUNCH, 'host', verb], { timeout: 90_000 });
  return { ...r, answer: JSON.parse(r.stdout || '{}') };
}

t.test('sysvinit: a 60-character app id on vzmaster\'s paths runs, respawns, stops, starts and goes, named by its id', async (t) => {
  t.equal(ID.length, 60);
  const original = 'id:2:initdefault:\nca:12345:ctrlaltdel:/bin/true\n';
  const ns = await startInit(t, 'sysvinit', original);
  const dir = scratch(t);
  // The namespace's own /var/lib (a scratch dir bound over it), holding vz's home as a vzmaster host has it.
  const varlib = join(dir, 'varlib');
  mkdirSync(join(varlib, 'vz', 'bin'), { recursive: true });
  copyFileSync(RUNCH, join(varlib, 'vz', 'bin', 'runch.cjs'));
  const bind = await ns.exec(['mount', '--bind', varlib, '/var/lib']);
  t.equal(bind.exitCode, 0, bind.stderr);
  const bundle = busyboxBundle(join(dir, 'app'), { args: ['sh', '-c', 'echo started; exec sleep 1001'] });
  const { execFileSync } = await import('node:child_process');
  execFileSync(VZIMAGE, ['pack', bundle, '-o', join(varlib, 'vz', 'images')], { stdio: 'ignore' });
  const image = readdirSync(join(varlib, 'vz', 'images')).find((f) => f.endsWith('.tar.gz'))!;
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));

  const applied = await host(ns, dir, 'apply', { app: ID, version: image.slice(0, 16), image, config, restart: { policy: 'always' }, mode: 'init', health: { minUptimeMs: 500, timeoutMs: 20_000 } });
  t.equal(applied.exitCode, 0, applied.stdout + applied.stderr);
  t.match(applied.answer, { ok: true, changed: true, state: 'running', healthy: true, notes: [/^unpacked /] }, 'unpacked, registered, applied, healthy: one command');
  t.ok(existsSync(join(varlib, 'vz', 'host.json')), 'the host config was written');
  const tab = join(ns.etc, 'inittab.d', `vz-${ID}.tab`);
  const line = readFileSync(tab, 'utf8').split('\n')[1];
  t.equal(line, `${IID}:2345:respawn:/var/lib/vz/launch/${ID}`, 'the line is the compiled launcher, named by the full id (issue 12)');
  t.ok(line.split(':').slice(3).join(':').length <= PROCESS_LIMIT.sysvinit, 'within sysvinit\'s field');
  t.notMatch(line, /@/, 'no @ reference');
  const first = await waitFor(() => ns.pidsExactly('sleep 1001')[0], 15_000);
  t.ok(first, 'init ran the container');
  t.same(ns.pidsOf('runch'), [], 'runch replaced itself with it');
  t.match(readFileSync(join(varlib, 'vz', 'log', `${ID}.log`), 'utf8'), /started/, 'its log, in the host config\'s log dir');

  const same = await host(ns, dir, 'apply', { app: ID, version: image.slice(0, 16), image, config, restart: { policy: 'always' }, mode: 'init' });
  t.match(same.answer, { ok: true, changed: false, state: 'running' }, 'the same apply again: nothing changed');
  t.equal(same.answer.pid, applied.answer.pid, 'nothing restarted (the same pid, as the namespace sees it)');
  t.same(ns.pidsExactly('sleep 1001'), [first]);

  process.kill(first, 'SIGKILL');
  const second = await waitFor(() => ns.pidsExactly('sleep 1001').find((p) => p !== first), 15_000);
  t.ok(second, 'killed with -9, init respawned it');

  const stopped = await host(ns, dir, 'stop', { app: ID });
  t.match(stopped.answer, { ok: true, changed: true, state: 'stopped' });
  t.same(ns.pidsOf('sleep 1001'), [], 'stop: the process is gone');
  await ns.reload();
  await sleep(2_000);
  t.same(ns.pidsOf('sleep 1001'), [], 'stays stopped across a reload of init');
  const status = await host(ns, dir, 'status', {});
  t.match(status.answer, { ok: true, mode: 'init', images: [image], apps: [{ id: ID, wanted: 'off', state: 'stopped', version: image.slice(0, 16), restart: { policy: 'always' } }] });

  t.match((await host(ns, dir, 'start', { app: ID })).answer, { ok: true, changed: true });
  t.ok(await waitFor(() => ns.pidsExactly('sleep 1001').length === 1, 15_000), 'start puts it back');

  t.match((await host(ns, dir, 'remove', { app: ID })).answer, { ok: true, changed: true, state: 'absent' });
  t.same(ns.pidsOf('sleep 1001'), [], 'remove leaves no process');
  t.notOk(existsSync(tab), 'nor its file');
  t.same(readdirSync(join(ns.etc, 'inittab.d')), [], 'inittab.d empty');
  t.equal(readFileSync(join(ns.etc, 'inittab'), 'utf8'), original, '/etc/inittab untouched');
  t.notMatch(ns.console(), /too long|respawning too fast/, 'init never complained');
});

t.test('a line written before the host config (@<inittab id>) still resolves, and its waiting runch is ended by the stop', async (t) => {
  const dir = scratch(t);
  const root = join(dir, 'root');
  const table = join(dir, 'table');
  const bundle = busyboxBundle(join(dir, 'web'), { args: ['sh', '-c', 'exec sleep 1002'] });
  writeFileSync(table, `${ID}:respawn:${bundle}\n`);
  // 8 spawns in the last seconds: the next one must wait until 121 s after the first (init's spawn window).
  const now = Date.now();
  mkdirSync(join(root, ID), { recursive: true });
  const spawns = Array.from({ length: 8 }, (_, i) => now - 8_000 + i * 1_000);
  writeFileSync(join(root, ID, 'respawn'), renderTally({ spawns, lastExec: now - 500, policy: EMPTY_TALLY, state: 'running' }));
  const out = openSync(join(dir, 'exec.out'), 'w');
  const child = spawn(RUNCH, ['--root', root, 'init', 'exec', '--table', table, '--log-dir', join(dir, 'log'), `@${IID}`], {
    stdio: ['ignore', out, out],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', VZ_HOST_CONFIG: join(dir, 'none.json') },
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
