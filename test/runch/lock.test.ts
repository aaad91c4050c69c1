import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { withLock } from '../../base/lock.ts';
import { busyboxBundle, runch, scratch } from '../helpers/fixtures.ts';

t.test('two runch calls on one id never interleave: one create wins, the other is refused', async (t) => {
  const dir = scratch(t);
  const root = join(dir, 'root');
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['sleep', '1000'] });
  const results = await Promise.all([1, 2, 3, 4].map(() => runch(root, ['create', '-b', bundle, 'same'])));
  t.equal(results.filter((r) => r.exitCode === 0).length, 1, 'exactly one create succeeded');
  for (const r of results.filter((r) => r.exitCode !== 0)) t.match(r.stderr, /already exists|is busy/);
  t.equal((await runch(root, ['delete', '--force', 'same'])).exitCode, 0);
});

t.test('a lock whose owner died is taken over; a live owner\'s is not', async (t) => {
  const dir = scratch(t);
  const path = join(dir, 'x');
  mkdirSync(`${path}.lock`);
  writeFileSync(`${path}.lock/owner`, '999999999 1\n'); // no such process
  t.equal(await withLock(path, 'x', async () => 'taken', 500), 'taken');
  t.notOk(existsSync(`${path}.lock`), 'released');

  let inside = 0;
  let overlap = false;
  await Promise.all(
    [1, 2, 3].map(() =>
      withLock(path, 'x', async () => {
        inside++;
        if (inside > 1) overlap = true;
        await new Promise((r) => setTimeout(r, 20));
        inside--;
      }),
    ),
  );
  t.notOk(overlap, 'holders within one process are serialized too');

  await withLock(path, 'x', async () => {
    await t.rejects(withLock(path, 'container "x"', async () => 0, 100), /container "x" is busy: process \d+ holds/);
  });
});
