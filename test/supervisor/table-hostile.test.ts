import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runch, scratch } from '../helpers/fixtures.ts';
import { makeEntry, parseTable, readTable, updateEntry } from '../../supervisor/table/index.ts';

// issue 11: a newline in --bundle (or any table field) cut the entry in two lines, and every later command failed.

const HOSTILE = ['/srv/a\nb', '/srv/a\rb', '/srv/a\tb', '/srv/a\u0000b', '/srv/a\u007fb', '/srv/a\u0085b', '/srv/a\u2028b', '/srv/a\ud800b', '/srv/a '];

/** The first schema message for fields, or '' when they are accepted. */
function refusal(fields: Parameters<typeof makeEntry>[0]): string {
  try {
    makeEntry(fields);
    return '';
  } catch (error) {
    return (error as { issues: { message: string }[] }).issues[0].message;
  }
}

t.test('issue 11: the schema refuses every field value the table text cannot hold, naming the field', async (t) => {
  for (const bundle of HOSTILE) {
    t.match(refusal({ id: 'web', bundle }), /^bundle: /, [...bundle].map((c) => c.codePointAt(0)!.toString(16)).join(' '));
  }
  t.match(refusal({ id: 'web', bundle: '/b', action: 'cron', schedule: '* * * * *\n' }), /^cron schedule: /);
  t.match(refusal({ id: 'web', bundle: '/b', stopSignal: 'SIGTERM\n' as NodeJS.Signals }), /^stop-signal: /);
  t.equal(makeEntry({ id: 'web', bundle: '/srv/a b/ü' }).bundle, '/srv/a b/ü', 'inner spaces and non-ASCII letters stay allowed');
});

t.test('issue 11: updateEntry writes no entry the table cannot hold, whoever built it', async (t) => {
  const dir = scratch(t);
  const path = join(dir, 'table');
  await updateEntry(path, 'ok', () => makeEntry({ id: 'ok', bundle: '/srv/ok' }));
  const before = readFileSync(path, 'utf8');
  const bad = { ...makeEntry({ id: 'web', bundle: '/srv/web' }), bundle: '/srv/a\nweb2:respawn:/srv/x' };
  await t.rejects(updateEntry(path, 'web', () => bad), { code: 'usage', message: /^table entry "web": bundle: contains a control character .*nothing was written$/ });
  t.equal(readFileSync(path, 'utf8'), before, 'the table is untouched');
  t.same(readTable(path).errors, []);
});

t.test('issue 11: runch enable with a newline in --bundle exits non-zero with one line and writes nothing', async (t) => {
  const dir = scratch(t);
  const table = join(dir, 'table');
  const env = { VZ_STATE_DIR: join(dir, 'state') };
  const bad = await runch(join(dir, 'root'), ['enable', 'web', '--bundle', '/srv/web\nevil:respawn:/srv/x', '--table', table, '--state-dir', join(dir, 'state')], { env });
  t.not(bad.exitCode, 0);
  t.equal(bad.stderr.split('\n').length, 1, `one line: ${bad.stderr}`);
  t.match(bad.stderr, /bundle: contains a control character \(U\+000A/);
  t.notOk(existsSync(table) && readFileSync(table, 'utf8').includes('evil'), 'no entry written');
  // and a good enable after it still works on a readable table
  const good = await runch(join(dir, 'root'), ['enable', 'web', '--bundle', '/srv/web', '--table', table, '--state-dir', join(dir, 'state')], { env });
  t.equal(good.exitCode, 0, good.stderr);
  t.same(parseTable(readFileSync(table, 'utf8')).errors, []);
});
