// runch host logs' cursors (issue 15, vzmaster logs -f): what a poll returns after appends, partial lines, one or
// several rotations by the real rotator (supervisor/logs/file.ts), rotations that lose lines, and a log that has only
// rotated files. Plain files: the lab test (test/master/logs-follow.test.ts) drives the same code through ansible.
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { readLog } from '../../runch/host/logs.ts';
import { rotateIfBig } from '../../supervisor/logs/file.ts';
import { scratch } from '../helpers/fixtures.ts';

const MiB = 1 << 20;

t.test('first read: the last lines, a partial last line held back for the next poll', async (t) => {
  const dir = scratch(t);
  writeFileSync(join(dir, 'a.log'), 'l1\nl2\nl3\npart');
  const first = readLog(dir, 'a', { lines: 2, maxBytes: MiB });
  t.same(first.lines, ['l2', 'l3']);
  t.equal(first.cursor?.offset, 9, 'the cursor stops after the last whole line');
  appendFileSync(join(dir, 'a.log'), 'ial\nl5\n');
  const next = readLog(dir, 'a', { lines: 2, maxBytes: MiB }, first.cursor);
  t.same(next.lines, ['partial', 'l5'], 'the partial line whole, then the new one');
  t.same(readLog(dir, 'a', { lines: 2, maxBytes: MiB }, next.cursor).lines, [], 'nothing new, nothing returned');
  t.same(readLog(dir, 'a', { lines: 0, maxBytes: MiB }).lines, [], '-n 0: no past lines');
});

t.test('a rotation whose new file starts as the old one did is still seen; so are several between two polls', async (t) => {
  const dir = scratch(t);
  const log = join(dir, 'a.log');
  writeFileSync(log, 'start\n');
  let r = readLog(dir, 'a', { lines: 0, maxBytes: MiB });
  appendFileSync(log, 'p1\np2\n');
  rotateIfBig(dir, 'a', 1, 5);
  appendFileSync(log, 'start\nt0\n');
  r = readLog(dir, 'a', { lines: 0, maxBytes: MiB }, r.cursor);
  t.same(r.lines, ['p1', 'p2', 'start', 't0'], 'the rest of the rotated file, then the new one');
  t.notOk(r.gap);
  appendFileSync(log, 'q1\n');
  rotateIfBig(dir, 'a', 1, 5);
  appendFileSync(log, 'start\n');
  rotateIfBig(dir, 'a', 1, 5);
  appendFileSync(log, 'start\nu\n');
  r = readLog(dir, 'a', { lines: 0, maxBytes: MiB }, r.cursor);
  t.same(r.lines, ['q1', 'start', 'start', 'u'], 'two rotations: every generation in order, each line once');
  t.notOk(r.gap);
});

t.test('more rotations than log-keep between two polls: a gap, said; maxBytes bounds the current file', async (t) => {
  const dir = scratch(t);
  const log = join(dir, 'a.log');
  writeFileSync(log, 'first\n');
  const r = readLog(dir, 'a', { lines: 0, maxBytes: MiB });
  for (const n of [1, 2, 3]) {
    appendFileSync(log, `gen${n}\n`);
    rotateIfBig(dir, 'a', 1, 1);
  }
  appendFileSync(log, 'now\n');
  const after = readLog(dir, 'a', { lines: 0, maxBytes: MiB }, r.cursor);
  t.ok(after.gap, 'lines rotated away are a gap');
  t.same(after.lines.slice(-1), ['now'], 'and the current file still reads');
  writeFileSync(log, `${'x'.repeat(1500)}\n${'y'.repeat(10)}\n`);
  const fresh = readLog(dir, 'a', { lines: 0, maxBytes: MiB }).cursor!;
  const big = readLog(dir, 'a', { lines: 0, maxBytes: 1024 }, { ...fresh, offset: 0, head: '' });
  t.same(big.lines, ['x'.repeat(1024)], 'a line longer than one answer comes in pieces');
  t.equal(big.cursor?.offset, 1024);
});

t.test('an app with only a past: rotated files alone still read, oldest first; no log at all is not-found', async (t) => {
  const dir = scratch(t);
  const log = join(dir, 'a.log');
  writeFileSync(log, 'old1\n');
  rotateIfBig(dir, 'a', 1, 5);
  appendFileSync(log, 'old2\n');
  rotateIfBig(dir, 'a', 1, 5);
  rmSync(log);
  t.same(readLog(dir, 'a', { lines: 10, maxBytes: MiB }).lines, ['old1', 'old2']);
  mkdirSync(join(dir, 'other'));
  t.throws(() => readLog(join(dir, 'other'), 'a', { lines: 10, maxBytes: MiB }), { code: 'not-found' });
});
