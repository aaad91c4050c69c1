// issue 11: a container is all of its processes. A program that forks a child into a new session (setsid) and dies
// left the child running (an nginx worker holding the port); delete, stop and kill now act on every process whose
// root is the container's rootfs, or which lives in its mount namespace or its session: never by name.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { isAlive, processStartTime } from '../../base/proc.ts';
import { stopAndDelete } from '../../runch/container/stop.ts';
import { StateStore } from '../../runch/state/store.ts';
import { busyboxBundle, runch, scratch } from '../helpers/fixtures.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The orphan as one process for its whole life (pid + start time), read from the file the program wrote. */
function orphanOf(rootfs: string): { pid: number; startTime: number } | undefined {
  try {
    const pid = Number(readFileSync(join(rootfs, 'orphan'), 'utf8').trim());
    const startTime = pid ? processStartTime(pid) : undefined;
    return startTime === undefined ? undefined : { pid, startTime };
  } catch {
    return undefined;
  }
}

/** A same-named process outside every container: it must survive everything below. */
function bystander(t: Tap.Test, seconds: string) {
  const child = spawn('sleep', [seconds], { stdio: 'ignore', detached: true });
  t.teardown(() => child.kill('SIGKILL'));
  return child;
}

/** A bundle whose program puts a child in a new session (it writes its pid to /orphan), then does `rest`. */
function orphanBundle(t: Tap.Test, seconds: string, rest: string) {
  const dir = scratch(t);
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['sh', '-c', `setsid sh -c 'echo $$ > /orphan; exec sleep ${seconds}' & ${rest}`] });
  symlinkSync('busybox', join(bundle, 'rootfs/bin/setsid'));
  return { dir, root: join(dir, 'root'), bundle, rootfs: join(bundle, 'rootfs') };
}

for (const ns of ['yes', 'no']) {
  const env = { RUNCH_MOUNT_NS: ns };
  t.test(`issue 11: delete ends the child a dead program left in a new session (mount namespace: ${ns}); a same-named process outside survives`, async (t) => {
    const { root, bundle, rootfs } = orphanBundle(t, '1141', 'sleep 0.3; exit 3');
    const outside = bystander(t, '1141');
    const run = await runch(root, ['run', '-d', '--bundle', bundle, 'c1'], { env });
    t.equal(run.exitCode, 0, run.stderr);
    t.teardown(() => runch(root, ['delete', '--force', 'c1'], { env }).then(() => undefined));
    const orphan = await waitFor('the orphan', () => orphanOf(rootfs));
    const store = new StateStore(root);
    await waitFor('the program exited', () => store.load('c1').status === 'stopped');
    t.ok(isAlive(orphan.pid, orphan.startTime), 'the orphan outlived its parent (the case of the issue)');
    if (ns === 'yes') t.match(store.load('c1').mountNs, /^mnt:\[\d+\]$/, 'the namespace is recorded at create');
    const del = await runch(root, ['delete', 'c1'], { env });
    t.equal(del.exitCode, 0, del.stderr);
    t.notOk(isAlive(orphan.pid, orphan.startTime), 'the orphan is ended by delete');
    t.notOk(existsSync(join(root, 'c1')), 'state gone');
    t.ok(isAlive(outside.pid!, processStartTime(outside.pid!)!), 'the same-named process outside is untouched');
  });
}

t.test('issue 11: a foreground runch run ends what the program left when it exits', async (t) => {
  const { root, bundle, rootfs } = orphanBundle(t, '1142', 'sleep 0.3; exit 4');
  const outside = bystander(t, '1142');
  const run = await runch(root, ['run', '--bundle', bundle, 'c2']);
  t.equal(run.exitCode, 4, run.stderr);
  const pid = Number(readFileSync(join(rootfs, 'orphan'), 'utf8'));
  t.notOk(processStartTime(pid) !== undefined && readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1][0] !== 'Z', 'no orphan left');
  t.ok(processStartTime(outside.pid!) !== undefined, 'the same-named process outside is untouched');
});

t.test('issue 11: stop (stopAndDelete) and kill --all reach a child in its own session while the program runs', async (t) => {
  const { root, bundle, rootfs } = orphanBundle(t, '1143', 'exec sleep 1000');
  const outside = bystander(t, '1143');
  t.teardown(() => runch(root, ['delete', '--force', 'c3']).then(() => undefined));
  t.equal((await runch(root, ['run', '-d', '--bundle', bundle, 'c3'])).exitCode, 0);
  const first = await waitFor('the orphan', () => orphanOf(rootfs));
  const kill = await runch(root, ['kill', '--all', 'c3', 'STOP']);
  t.equal(kill.exitCode, 0, kill.stderr);
  await waitFor('stopped (T)', () => readFileSync(`/proc/${first.pid}/stat`, 'latin1').split(') ')[1][0] === 'T');
  t.pass('kill --all signalled the child of another session');
  await runch(root, ['kill', '--all', 'c3', 'CONT']);
  const store = new StateStore(root);
  const result = await stopAndDelete(store, 'c3', { signal: 'SIGTERM', timeoutMs: 3_000 });
  t.same(result, { ended: 'exited', deleted: true });
  t.notOk(isAlive(first.pid, first.startTime), 'the child is ended by the stop');
  t.ok(isAlive(outside.pid!, processStartTime(outside.pid!)!), 'the same-named process outside is untouched');
});

t.test('issue 11: a leftover that ignores TERM is killed after the timeout', async (t) => {
  const dir = scratch(t);
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['sh', '-c', `setsid sh -c 'trap "" TERM; echo $$ > /orphan; while :; do sleep 1; done' & sleep 0.3`] });
  symlinkSync('busybox', join(bundle, 'rootfs/bin/setsid'));
  const root = join(dir, 'root');
  t.teardown(() => runch(root, ['delete', '--force', 'c4']).then(() => undefined));
  t.equal((await runch(root, ['run', '-d', '--bundle', bundle, 'c4'])).exitCode, 0);
  const orphan = await waitFor('the orphan', () => orphanOf(join(bundle, 'rootfs')));
  const store = new StateStore(root);
  await waitFor('the program exited', () => store.load('c4').status === 'stopped');
  const began = Date.now();
  const del = await runch(root, ['delete', 'c4']);
  t.equal(del.exitCode, 0, del.stderr);
  t.ok(Date.now() - began >= 2_500, 'TERM, then the timeout');
  t.notOk(isAlive(orphan.pid, orphan.startTime), 'then KILL');
});
