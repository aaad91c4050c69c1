// issue 10: the one stop procedure (runch/container/stop.ts): stop signal, timeout, SIGKILL, delete; processes known
// by their recorded pid and start time only.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { isAlive, processStartTime } from '../../base/proc.ts';
import { stopAndDelete } from '../../runch/container/stop.ts';
import { StateStore } from '../../runch/state/store.ts';
import { busyboxBundle, runch, scratch } from '../helpers/fixtures.ts';


async function detached(t: Tap.Test, args: string[]) {
  const dir = scratch(t);
  const root = join(dir, 'root');
  const bundle = busyboxBundle(join(dir, 'b'), { args });
  const started = await runch(root, ['run', '-d', '--bundle', bundle, 'c1']);
  t.equal(started.exitCode, 0, started.stderr);
  const store = new StateStore(root);
  t.teardown(() => runch(root, ['delete', '--force', 'c1']).then(() => undefined));
  return { store, root, state: store.load('c1') };
}

t.test('a program that exits on TERM: exited, deleted, quickly', async (t) => {
  const { store, root, state } = await detached(t, ['sh', '-c', 'exec sleep 1000']);
  const began = Date.now();
  const result = await stopAndDelete(store, 'c1', { signal: 'SIGTERM', timeoutMs: 5_000 });
  t.same(result, { ended: 'exited', deleted: true });
  t.ok(Date.now() - began < 3_000, 'no wait for the timeout');
  t.notOk(isAlive(state.pid, state.startTime), 'gone (a zombie the machine\'s init has yet to reap counts as gone)');
  t.notOk(existsSync(join(root, 'c1')), 'state gone');
});

t.test('a program and its child that ignore TERM: SIGKILL after the timeout, every process of it', async (t) => {
  const { store, state } = await detached(t, ['sh', '-c', 'trap "" TERM; sleep 1000 & wait']);
  await new Promise((r) => setTimeout(r, 300)); // the background sleep is forked
  const began = Date.now();
  const result = await stopAndDelete(store, 'c1', { signal: 'SIGTERM', timeoutMs: 400, onKill: () => t.pass('onKill told') });
  t.same(result, { ended: 'killed', deleted: true });
  t.ok(Date.now() - began >= 400, 'the timeout was given');
  t.notOk(isAlive(state.pid, state.startTime), 'gone (a zombie the machine\'s init has yet to reap counts as gone)');
});

t.test('`also` processes are stopped by pid + start time; a wrong start time (a reused pid) is never signalled', async (t) => {
  const dir = scratch(t);
  const store = new StateStore(join(dir, 'root'));
  const waiter = spawn('sleep', ['1003'], { stdio: 'ignore' });
  const other = spawn('sleep', ['1004'], { stdio: 'ignore' });
  t.teardown(() => {
    waiter.kill('SIGKILL');
    other.kill('SIGKILL');
  });
  await new Promise((r) => setTimeout(r, 100));
  const result = await stopAndDelete(store, 'none', {
    signal: 'SIGTERM',
    timeoutMs: 2_000,
    also: [
      { pid: waiter.pid!, startTime: processStartTime(waiter.pid!)! },
      { pid: other.pid!, startTime: processStartTime(other.pid!)! + 1 },
    ],
  });
  t.same(result, { ended: 'exited', deleted: false }, 'no container state: its other processes alone');
  await new Promise((r) => setTimeout(r, 100));
  t.equal(waiter.signalCode, 'SIGTERM', 'the recorded process got the stop signal');
  t.equal(other.exitCode, null, 'the pid with another start time is left alone');
  t.equal(other.signalCode, null);
  t.same(await stopAndDelete(store, 'none', { signal: 'SIGTERM', timeoutMs: 100 }), { ended: 'gone', deleted: false }, 'nothing to stop');
});
