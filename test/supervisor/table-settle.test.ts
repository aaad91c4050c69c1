// issue 11: an editor writing the table in place (truncate, then write) left it empty for 0.5 s, and the reload
// stopped every container. A reload now applies only a table that has stood still, and never an empty file while
// containers run.
import { openSync, closeSync, ftruncateSync, readFileSync, writeSync } from 'node:fs';
import t from 'tap';
import { updateEntry } from '../../supervisor/table/index.ts';
import { host, sleep, waitFor } from './helpers.ts';

function writeInPlace(path: string, text: string): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, 0);
    if (text) writeSync(fd, text, 0);
  } finally {
    closeSync(fd);
  }
}

t.test('issue 11: a table truncated for 0.5 s, then written back in place: no container stopped or restarted', async (t) => {
  const h = host(t);
  h.bundle('a', { args: ['sleep', '1161'] });
  h.bundle('b', { args: ['sleep', '1162'] });
  h.writeTable([`a:respawn:${h.dir}/bundles/a`, `b:respawn:${h.dir}/bundles/b`]);
  h.start();
  await waitFor('both running', () => h.unit('a')?.state === 'running' && h.unit('b')?.state === 'running');
  const before = ['a', 'b'].map((id) => h.unit(id)!.pid);
  const text = readFileSync(h.table, 'utf8');
  writeInPlace(h.table, '');
  await sleep(500);
  writeInPlace(h.table, text);
  await sleep(1_000);
  t.same(['a', 'b'].map((id) => h.unit(id)?.state), ['running', 'running']);
  t.same(['a', 'b'].map((id) => h.unit(id)!.pid), before, 'the same processes');
  t.same(['a', 'b'].map((id) => h.unit(id)!.restarts), [0, 0]);
  t.notOk(h.readEvents().some((e) => e.event === 'stop'), 'no stop at all');
  t.ok(h.readEvents().some((e) => e.event === 'table-empty'), 'the empty table was said once in the log');

  // A table rewritten in place, line by line, every 100 ms: applied only once it stands still.
  writeInPlace(h.table, `a:respawn:${h.dir}/bundles/a\n`);
  for (let i = 0; i < 5; i++) {
    await sleep(100);
    writeInPlace(h.table, i % 2 ? `a:respawn:${h.dir}/bundles/a\n` : `b:respawn:${h.dir}/bundles/b\n`);
  }
  writeInPlace(h.table, text);
  await sleep(1_000);
  t.same(['a', 'b'].map((id) => h.unit(id)!.pid), before, 'no half-written table was applied');

  // And an intended change still applies, a settle later.
  writeInPlace(h.table, `a:respawn:${h.dir}/bundles/a\n`);
  await waitFor('b removed', () => !h.unit('b'), 5_000);
  t.equal(h.unit('a')!.pid, before[0], 'a untouched');

  // Removing the last entry through updateEntry leaves the header, never a 0-byte table: the removal applies.
  await updateEntry(h.table, 'a', () => undefined);
  t.match(readFileSync(h.table, 'utf8'), /^# vz supervisor table/);
  await waitFor('a removed', () => !h.unit('a'), 5_000);
});
