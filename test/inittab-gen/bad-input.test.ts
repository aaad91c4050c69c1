// Bad input under a real sysvinit as PID 1 (issue 4): clear errors, the previous inittab and table intact.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { BEGIN } from '../../inittab-gen/block.ts';
import { derivedInittabId } from '../../inittab-gen/ids.ts';
import { busyboxBundle, scratch } from '../helpers/fixtures.ts';
import { oddInittab, startInit, waitFor } from '../helpers/init-ns.ts';

t.test('sysvinit: collisions, odd files, read-only /etc, missing telinit, bad table', async (t) => {
  // A foreign line already holding the inittab id vz derives for "web1".
  const original = `${oddInittab('sysvinit')}\n${derivedInittabId('web1')}:2345:respawn:/bin/sleep 777\n`;
  const ns = await startInit(t, 'sysvinit', original);
  const dir = scratch(t);
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['sh', '-c', 'exec sleep 1000'] });
  const table = join(ns.etc, 'vz/table');
  const tabs = () => readdirSync(join(ns.etc, 'inittab.d'));
  const inittab = () => readFileSync(join(ns.etc, 'inittab'), 'utf8');

  const clash = await ns.runch(['init', 'add', 'web1', '--bundle', bundle]);
  t.equal(clash.exitCode, 1);
  t.match(clash.stderr, new RegExp(`entry "web1" maps to inittab id "${derivedInittabId('web1')}", already used by /etc/inittab line 9 .*: rename the container`));
  t.equal(inittab(), original, 'inittab intact');
  t.same(tabs(), [], 'no file written');
  t.notMatch(existsSync(table) ? readFileSync(table, 'utf8') : '', /web1/, 'the table entry was taken back');

  const noBundle = await ns.runch(['init', 'add', 'web3', '--bundle', join(dir, 'missing')]);
  t.equal(noBundle.exitCode, 1);
  t.match(noBundle.stderr, /bundle "\S+missing" is not a directory: give --bundle the directory holding config.json/);
  t.same(tabs(), [], 'a bundle that cannot run is refused before init sees it');

  const dry = await ns.runch(['init', 'add', 'web2', '--bundle', bundle, '--dry-run']);
  t.equal(dry.exitCode, 0, dry.stderr);
  t.match(dry.stdout, /^--- \/dev\/null\n\+\+\+ \/etc\/inittab.d\/vz-web2.tab\n\+# vz container "web2"[^\n]*\n\+[0-9a-z]{4}:2345:respawn:\S+\/launch\/web2\n$/, '--dry-run prints the diff');
  t.same(tabs(), [], '--dry-run writes nothing');

  const noTelinit = await ns.runch(['init', 'add', 'web2', '--bundle', bundle, '--telinit', '/nonexistent/telinit']);
  t.equal(noTelinit.exitCode, 1);
  t.match(noTelinit.stderr, /sysvinit's telinit is missing at \/nonexistent\/telinit.*nothing was changed/);
  t.same(tabs(), [], 'nothing written without a way to reload');

  const added = await ns.runch(['init', 'add', 'web2', '--bundle', bundle]);
  t.equal(added.exitCode, 0, added.stderr);
  t.ok(await waitFor(() => ns.pidsExactly('sleep 1000').length === 1, 15_000), 'a good entry still works');
  const written = readFileSync(join(ns.etc, 'inittab.d/vz-web2.tab'), 'utf8');

  const ro = await ns.exec(['mount', '-o', 'remount,bind,ro', '/etc']);
  t.equal(ro.exitCode, 0, ro.stderr);
  const roStop = await ns.runch(['init', 'stop', 'web2']);
  t.equal(roStop.exitCode, 1);
  t.match(roStop.stderr, /cannot write the table \/etc\/vz\/table \(read-only file system\): nothing was changed/);
  // The table elsewhere, so only init's files are read-only.
  const outside = join(dir, 'table');
  writeFileSync(outside, readFileSync(table, 'utf8').replace('web2:respawn', 'web2:off'));
  const roApply = await ns.runch(['init', 'apply', '--table', outside]);
  t.equal(roApply.exitCode, 1);
  t.match(roApply.stderr, /cannot write in \/etc\/inittab.d \(read-only file system\): remount it read-write or run as root; nothing was changed/);
  t.equal(readFileSync(join(ns.etc, 'inittab.d/vz-web2.tab'), 'utf8'), written, 'the previous entry intact');
  t.equal(ns.pidsExactly('sleep 1000').length, 1, 'and its container untouched');
  t.equal((await ns.exec(['mount', '-o', 'remount,bind,rw', '/etc'])).exitCode, 0);

  writeFileSync(table, `${readFileSync(table, 'utf8')}broken line without fields\n`);
  const badTable = await ns.runch(['init', 'apply']);
  t.equal(badTable.exitCode, 1);
  t.match(badTable.stderr, /the table \/etc\/vz\/table line \d+: .*nothing was applied/);
  writeFileSync(table, readFileSync(table, 'utf8').replace('broken line without fields\n', ''));

  // The line is the launcher, beside the table (launch/<id>): a long directory makes it long (issue 12).
  const longTable = join(dir, 'x'.repeat(110), 'table');
  mkdirSync(dirname(longTable));
  writeFileSync(longTable, readFileSync(table, 'utf8'));
  const long = await ns.runch(['init', 'apply', '--table', longTable]);
  t.equal(long.exitCode, 1);
  t.match(long.stderr, /process field would be 1\d\d characters, over init's 127: .*use shorter paths/);

  writeFileSync(join(ns.etc, 'inittab'), `${original}${BEGIN}\n`);
  const half = await ns.runch(['init', 'apply']);
  t.equal(half.exitCode, 1);
  t.match(half.stderr, /\/etc\/inittab has 1 BEGIN and 0 END vz marker lines: leave exactly one BEGIN followed by one END/);
  t.equal(inittab(), `${original}${BEGIN}\n`, 'left as found');
  writeFileSync(join(ns.etc, 'inittab'), original);

  const removed = await ns.runch(['init', 'remove', 'web2']);
  t.equal(removed.exitCode, 0, removed.stderr);
  t.same(ns.pidsOf('sleep 1000'), []);
  t.equal(inittab(), original);
  t.notMatch(ns.console(), /respawning too fast|too long/);
  const missing = await ns.runch(['init', 'apply', '--table', join(dir, 'typo')]);
  t.equal(missing.exitCode, 1);
  t.match(missing.stderr, /the table \S+typo does not exist: give the right --table/);
});
