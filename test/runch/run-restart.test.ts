import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { busyboxBundle, runch, scratch } from '../helpers/fixtures.ts';

t.test('run --restart on-failure:2: a failing program runs 1 + 2 times, with the supervisor\'s backoff', async (t) => {
  const dir = scratch(t);
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['sh', '-c', 'echo run >> /runs; exit 3'] });
  const result = await runch(join(dir, 'root'), ['run', '--restart', 'on-failure:2', '-b', bundle, 'r1']);
  t.equal(result.exitCode, 3, 'the last run\'s exit code');
  t.equal(readFileSync(join(bundle, 'rootfs/runs'), 'utf8'), 'run\nrun\nrun\n', 'three runs');
  const second = Number(/restart 2 in (\d+) ms/.exec(result.stderr)?.[1]);
  t.ok(second >= 200 && second <= 300, `the second restart waits the backoff, 250 ms +-20% (${second} ms)`);
  t.match(result.stderr, /r1 exited \(code 3\): backoff, restart 1 in 0 ms/);
  t.match(result.stderr, /not restarted, 2 restarts failed \(restart=on-failure:2\)/);
});

t.test('run --restart always: a clean exit restarts too; bad policies and --detach are refused', async (t) => {
  const dir = scratch(t);
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['sh', '-c', 'echo x >> /runs; if [ $(wc -l < /runs) -ge 3 ]; then kill -TERM $PPID; sleep 5; fi; exit 0'] });
  const bad = await runch(join(dir, 'root'), ['run', '--restart', 'sometimes', '-b', bundle, 'r2']);
  t.equal(bad.exitCode, 1);
  t.match(bad.stderr, /--restart "sometimes" is unknown/);
  const detached = await runch(join(dir, 'root'), ['run', '-d', '--restart', 'always', '-b', bundle, 'r3']);
  t.match(detached.stderr, /--restart supervises in the foreground/);
  const policyNo = await runch(join(dir, 'root'), ['run', '--restart', 'no', '-b', bundle, 'r4']);
  t.equal(policyNo.exitCode, 0);
  t.equal(readFileSync(join(bundle, 'rootfs/runs'), 'utf8'), 'x\n', 'restart=no: one run');
  // always: clean exits restart too, until runch itself gets TERM (here from the third run: its parent is runch).
  const always = await runch(join(dir, 'root'), ['run', '--restart', 'always', '-b', bundle, 'r5']);
  t.equal(readFileSync(join(bundle, 'rootfs/runs'), 'utf8'), 'x\nx\nx\n', 'restart=always: two restarts after exit 0');
  t.equal(always.exitCode, 143, 'TERM stops it for good: the run ends with the forwarded TERM');
});
