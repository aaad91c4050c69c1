// Issue 12: the compiled launcher: hostile values reach the container as data, runch reads its state, a changed
// bundle is recompiled (Node runs then and only then), the backoff and init's spawn limit hold in sh.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { compileEntries } from '../../inittab-gen/compile-entry.ts';
import { launcherPath } from '../../inittab-gen/launcher.ts';
import { readTally, renderTally } from '../../inittab-gen/tally.ts';
import { StateStore } from '../../runch/state/store.ts';
import { EMPTY_TALLY } from '../../supervisor/policy/index.ts';
import { busyboxBundle, RUNCH, runch, scratch, writeConfig } from '../helpers/fixtures.ts';

const HOSTILE = `it's "q" $(touch /pwned) \`touch /pwned2\` $HOME ; rm -rf / \\ \nsecond line`;

function setup(t: Parameters<typeof scratch>[0], args: string[], env: string[] = ['PATH=/bin']) {
  const dir = scratch(t, 'vz-launcher-');
  const bundle = busyboxBundle(join(dir, "my bundle's dir"), { args, env });
  const table = join(dir, 'etc', 'table');
  mkdirSync(join(dir, 'etc'));
  writeFileSync(table, `c1:respawn:${bundle}\n`);
  const store = new StateStore(join(dir, 'run'));
  const logDir = join(dir, 'log');
  // A node that says each time it runs: a launcher must call it only when something changed.
  const calls = join(dir, 'node-calls');
  const node = join(dir, 'node');
  writeFileSync(node, `#!/bin/sh\necho "$*" >>'${calls}'\nexec '${process.execPath}' "$@"\n`);
  chmodSync(node, 0o755);
  const compile = async () => {
    process.env.RUNCH_LAUNCHER_NODE = node;
    try {
      return await compileEntries({ table, logDir, store }, [{ id: 'c1', bundle, action: 'respawn', stopSignal: 'SIGTERM', stopTimeoutMs: 10_000 }], {
        node: process.execPath,
        runch: RUNCH,
        root: store.root,
        table,
        logDir,
      });
    } finally {
      delete process.env.RUNCH_LAUNCHER_NODE;
    }
  };
  const nodeCalls = () => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter(Boolean).length : 0);
  const launch = (timeout = 20_000) =>
    spawnSync('/bin/sh', [launcherPath(table, 'c1')], { timeout, env: { PATH: '/usr/bin:/bin' }, stdio: 'ignore' }).status;
  return { dir, bundle, table, store, logDir, compile, nodeCalls, launch };
}

t.test('issue 12: hostile values are data; runch reads the state; nothing of Node on a fresh start', async (t) => {
  const script = 'printf "%s|" "$Q" "$@" "$$" > /out; pwd >> /out';
  const s = setup(t, ['sh', '-c', script, 'sh', HOSTILE, "a'b", '$(id)'], ['PATH=/bin', `Q=${HOSTILE}`, 'PWD=/tmp']);
  const [result] = await s.compile();
  t.equal(result.error, undefined, 'compiled');
  const text = readFileSync(launcherPath(s.table, 'c1'), 'utf8');
  t.match(text, /^#!\/bin\/sh\n/, 'a sh script');
  s.launch();
  const out = readFileSync(join(s.bundle, 'rootfs', 'out'), 'utf8');
  const [q, a1, a2, a3, pid] = out.split('|');
  t.equal(q, HOSTILE, 'env value exactly as given');
  t.same([a1, a2, a3], [HOSTILE, "a'b", '$(id)'], 'args exactly as given');
  t.notOk(existsSync('/pwned') || existsSync(join(s.bundle, 'rootfs', 'pwned')) || existsSync(join(s.bundle, 'rootfs', 'pwned2')), 'nothing evaluated');
  t.equal(s.nodeCalls(), 0, 'no Node on a start with nothing changed');
  const log = join(s.logDir, 'c1.log');
  t.notMatch(existsSync(log) ? readFileSync(log, 'utf8') : '', /cannot open/, 'a first start, with no tally yet, logs no shell error');
  const state = await runch(s.store.root, ['state', 'c1']);
  t.equal(state.exitCode, 0, state.stderr);
  const parsed = JSON.parse(state.stdout);
  const stored = JSON.parse(readFileSync(s.store.file('c1'), 'utf8'));
  t.equal(stored.pid, Number(pid), "state.json names the container's pid");
  t.ok(stored.startTime > 0, 'and its start time');
  t.equal(parsed.status, 'stopped', 'it exited: runch says stopped');
  t.match(parsed.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'created is RFC 3339');
  t.ok(Math.abs(Date.parse(parsed.created) - Date.now()) < 60_000, 'created is now');
  const tally = readTally(s.store, 'c1');
  t.equal(tally?.state, 'running');
  t.equal(tally?.spawns.length, 1, 'one spawn tallied');
  t.ok(Math.abs((tally?.lastExec ?? 0) - Date.now()) < 5_000, 'tally times are epoch ms');
  const list = await runch(s.store.root, ['list']);
  t.match(list.stdout, /c1/, 'runch list sees it');
  const del = await runch(s.store.root, ['delete', 'c1']);
  t.equal(del.exitCode, 0, del.stderr);
});

t.test('issue 12: a changed config.json is recompiled, through runch, once', async (t) => {
  const s = setup(t, ['sh', '-c', 'echo v1 > /out']);
  await s.compile();
  s.launch();
  t.equal(readFileSync(join(s.bundle, 'rootfs', 'out'), 'utf8'), 'v1\n');
  writeConfig(s.bundle, { args: ['sh', '-c', 'echo v2 > /out'] });
  s.launch();
  t.equal(readFileSync(join(s.bundle, 'rootfs', 'out'), 'utf8'), 'v2\n', 'the new config ran');
  t.equal(s.nodeCalls(), 1, 'runch ran once, to recompile');
  s.launch();
  t.equal(s.nodeCalls(), 1, 'then fresh again: no Node');
  t.equal(readTally(s.store, 'c1')?.spawns.length, 3, 'every spawn tallied');
});

t.test('issue 12: a leftover of the previous run is ended through runch', async (t) => {
  const s = setup(t, ['sh', '-c', 'sleep 1000 & echo $! > /bg; exit 0']);
  await s.compile();
  s.launch();
  const bg = Number(readFileSync(join(s.bundle, 'rootfs', 'bg'), 'utf8'));
  t.ok(bg > 0 && existsSync(`/proc/${bg}`), 'a background process outlived its run');
  t.teardown(() => {
    try {
      process.kill(bg, 'SIGKILL');
    } catch {}
  });
  writeConfig(s.bundle, { args: ['sh', '-c', 'exit 0'] });
  s.launch();
  t.notOk(existsSync(`/proc/${bg}`) && !readFileSync(`/proc/${bg}/stat`, 'utf8').includes(') Z'), 'the leftover is gone');
  t.equal(s.nodeCalls(), 1);
});

t.test('issue 12: backoff and the 8-spawns-in-120-s rule, in sh', async (t) => {
  const s = setup(t, ['sh', '-c', 'exit 3']);
  await s.compile();
  s.launch();
  let started = Date.now();
  s.launch();
  t.ok(Date.now() - started < 1_000, 'a first quick exit restarts at once');
  started = Date.now();
  s.launch();
  t.ok(Date.now() - started >= 180, `the second quick exit waits ~250 ms (${Date.now() - started} ms)`);
  t.equal(readTally(s.store, 'c1')?.policy.streak, 2, 'two quick exits in a row');
  // 8 spawns within the last 120 s: the next must wait until the window allows it.
  const now = Date.now();
  const spawns = Array.from({ length: 8 }, (_, i) => now - 10_000 + i * 1000);
  writeFileSync(join(s.store.dir('c1'), 'respawn'), renderTally({ spawns, lastExec: now - 100, state: 'running', policy: { ...EMPTY_TALLY, streak: 1 } }));
  const child = spawn('/bin/sh', [launcherPath(s.table, 'c1')], { stdio: 'ignore', env: { PATH: '/usr/bin:/bin' } });
  t.teardown(() => child.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 1_000));
  const tally = readTally(s.store, 'c1');
  t.equal(tally?.state, 'crash-loop', 'held as a crash loop');
  t.ok((tally?.nextTry ?? 0) >= spawns[0] + 120_000, 'not before 120 s after the 8th-last spawn');
  t.equal(tally?.waiter?.pid, child.pid, 'the waiting launcher is recorded for a stop');
  t.equal(child.exitCode, null, 'still waiting');
});
