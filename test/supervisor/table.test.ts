import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { scratch } from '../helpers/fixtures.ts';
import { makeEntry, parseTable, readTable, renderEntry, renderTable, updateEntry } from '../../supervisor/table/index.ts';

const TEXT = `# a comment
web:respawn:/b/web:restart=on-failure:5,stop-signal=INT,stop-timeout=20s,log-size=2M,log-keep=3

  # indented comment
job:cron */5 * * * *:/b/job
broken:sometimes:/b/x
old:off:/b/old
web:once:/b/web2
nocolon
rel:respawn:b/rel
bad:respawn:/b/bad:colour=red
`;

t.test('parse: entries, defaults, errors naming their line', async (t) => {
  const { entries, errors } = parseTable(TEXT);
  t.same(entries.map((e) => e.id), ['web', 'job', 'old']);
  const web = entries[0];
  t.equal(web.restart, 'on-failure');
  t.equal(web.restartMax, 5);
  t.equal(web.stopSignal, 'SIGINT');
  t.equal(web.stopTimeoutMs, 20_000);
  t.equal(web.logSize, 2 * 1024 * 1024);
  t.equal(web.logKeep, 3);
  t.equal(entries[1].action, 'cron');
  t.equal(entries[1].schedule, '*/5 * * * *');
  t.equal(entries[1].restart, 'no');
  t.equal(entries[2].action, 'off');
  t.same(errors.map((e) => e.line), [6, 8, 9, 10, 11]);
  t.match(errors[0].message, /^table line 6: action "sometimes" is unknown/);
  t.match(errors[1].message, /table line 8: duplicate id "web" \(first on line 2\)/);
  t.match(errors[2].message, /table line 9: expected id:action:bundle/);
  t.match(errors[3].message, /table line 10: bundle: give an absolute path/);
  t.match(errors[4].message, /table line 11: unknown option "colour"/);
});

t.test('render: round trip, defaults omitted, comments kept', async (t) => {
  const { entries, lines } = parseTable(TEXT);
  t.equal(renderTable(lines), TEXT, 'untouched lines byte for byte');
  for (const entry of entries) t.same(parseTable(renderEntry(entry)).entries[0], entry);
  t.equal(renderEntry(makeEntry({ id: 'a', bundle: '/x' })), 'a:respawn:/x');
  const fresh = renderTable([makeEntry({ id: 'a', bundle: '/x' }), makeEntry({ id: 'c', bundle: '/y', action: 'cron', schedule: '0 3 * * *' })]);
  t.same(parseTable(fresh).entries.map((e) => e.id), ['a', 'c']);
  t.same(parseTable(fresh).errors, []);
});

t.test('updateEntry: atomic, locked, keeps the other lines', async (t) => {
  const dir = scratch(t);
  const path = join(dir, 'etc/table');
  await updateEntry(path, 'a', () => makeEntry({ id: 'a', bundle: '/x' }));
  t.same(readTable(path).entries.map((e) => e.id), ['a']);
  writeFileSync(path, TEXT);
  await updateEntry(path, 'old', (e) => e && { ...e, action: 'respawn', restart: 'always' });
  const after = readFileSync(path, 'utf8').split('\n');
  t.equal(after[6], 'old:respawn:/b/old');
  t.equal(after.filter((l, i) => l !== TEXT.split('\n')[i]).length, 1, 'one line changed');
  await updateEntry(path, 'job', () => undefined);
  t.notOk(readTable(path).entries.find((e) => e.id === 'job'));
  await Promise.all(['p', 'q', 'r', 's'].map((id) => updateEntry(path, id, () => makeEntry({ id, bundle: `/b/${id}` }))));
  t.same(readTable(path).entries.map((e) => e.id).filter((id) => 'pqrs'.includes(id)).sort(), ['p', 'q', 'r', 's'], 'concurrent writers all land');
  t.match(readTable(path).errors[0].message, /table line 5: action "sometimes" is unknown/, 'malformed lines kept for the person to fix');
});
