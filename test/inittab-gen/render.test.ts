// Pure renderers and the plan: plain data in, text out (issue 4, step 1).
import t from 'tap';
import { BEGIN, BEGIN_AFTER_NEWLINE, END, spliceBlock } from '../../inittab-gen/block.ts';
import { diffChange } from '../../inittab-gen/diff.ts';
import { initEntrySchema, type InitEntryInput } from '../../inittab-gen/entry.ts';
import { assignInittabIds, derivedInittabId } from '../../inittab-gen/ids.ts';
import { planApply, type Current } from '../../inittab-gen/plan.ts';
import { processField, processWords } from '../../inittab-gen/process-field.ts';
import { execNames, resolveName } from '../../inittab-gen/reference.ts';

const launcher = { node: '/usr/local/bin/node', runch: '/opt/vz/runch.mjs' };
const entry = (input: Partial<InitEntryInput> & { id: string }) => initEntrySchema.parse({ bundle: `/srv/${input.id}`, action: 'respawn', ...input });
const withInittab = (inittab: string | undefined, dir: Record<string, string> = {}): Current => ({ inittab, dir: new Map(Object.entries(dir)) });

const ODD = [
  '# a comment: with colons',
  'id:2:initdefault:',
  '',
  '   # indented comment',
  `lg:2345:respawn:/bin/sh -c "${'x'.repeat(300)}"`,
  'pf::powerwait:/etc/init.d/powerfail start',
  'kb::kbrequest:/bin/echo "Keyboard Request"',
  '\tweird whitespace line',
  'ca:12345:ctrlaltdel:/sbin/shutdown -t1 -a -r now',
].join('\n'); // no trailing newline

t.test('inittab ids: 1-4 characters, stable, unique, collision-checked', async (t) => {
  const id = derivedInittabId('web1');
  t.match(id, /^[0-9a-z]{4}$/);
  t.equal(derivedInittabId('web1'), id, 'the same container always gets the same id');
  const many = new Set(Array.from({ length: 200 }, (_, i) => derivedInittabId(`c${i}`)));
  t.ok(many.size >= 199, 'distinct containers spread over the id space');
  t.same(assignInittabIds([{ id: 'web1' }], new Map()).get('web1'), id, 'independent of the other entries');
  t.throws(() => assignInittabIds([{ id: 'a', inittabId: 'x1' }, { id: 'b', inittabId: 'x1' }], new Map()), /entries "a" and "b" both map to inittab id "x1": rename one/);
  t.throws(() => assignInittabIds([{ id: 'a', inittabId: 'ca' }], new Map([['ca', '/etc/inittab line 9']])), /entry "a" maps to inittab id "ca", already used by \/etc\/inittab line 9/);
  t.throws(() => initEntrySchema.parse({ id: 'a', bundle: '/b', action: 'respawn', inittabId: 'toolong' }), /1 to 4/);
});

t.test('process fields: plain words within init\'s limits', async (t) => {
  t.equal(processField('web1', launcher, 'sysvinit'), '/usr/local/bin/node /opt/vz/runch.mjs init exec web1');
  t.equal(processField('w', { ...launcher, root: '/var/run/r', table: '/etc/t.json' }, 'busybox'), '/usr/local/bin/node /opt/vz/runch.mjs --root /var/run/r init exec --table /etc/t.json w');
  t.throws(() => processField('w', { ...launcher, runch: '/opt/my dir/runch.mjs' }, 'sysvinit'), /cannot go into an inittab process field/);
  t.throws(() => processField('w', { ...launcher, root: '/run/$(x)' }, 'sysvinit'), /shell characters/);
  const long = { ...launcher, root: `/${'r'.repeat(100)}` };
  t.throws(() => processField('w', long, 'sysvinit'), /sysvinit process field would be 1\d\d characters, over init's 127/);
  t.ok(processField('w', long, 'busybox').length <= 253);
});

t.test('issue 10: on a host with a host config the line is node, runch, "init exec" and the id: a 64-character id fits', async (t) => {
  // What vzmaster installs on a host; the host config (/var/lib/vz/host.json) names the table and the log dir.
  const vzmaster = { node: '/opt/vz-node/bin/node', runch: '/var/lib/vz/bin/runch.cjs', table: '/var/lib/vz/table', logDir: '/var/lib/vz/log', hostConfig: true };
  const head = '/opt/vz-node/bin/node /var/lib/vz/bin/runch.cjs init exec';
  const long = `app-${'x'.repeat(60)}`; // the table's longest id, 64 characters
  t.equal(processField(long, vzmaster, 'sysvinit'), `${head} ${long}`, 'the whole id, no flags');
  t.ok(processField(long, vzmaster, 'sysvinit').length <= 127);
  t.equal(processWords('x', { ...vzmaster, mode: 'supervisor' }).join(' '), '/opt/vz-node/bin/node /var/lib/vz/bin/runch.cjs supervise --table /var/lib/vz/table --log-dir /var/lib/vz/log', 'the supervisor keeps its flags (its line names no entry)');
  // Without a host config, a long id on long paths is refused in one line naming the fix; nothing names it "@...".
  const flagged = { ...vzmaster, hostConfig: false };
  t.throws(() => processField(long, flagged, 'sysvinit'), /^entry "app-x+": the sysvinit process field would be 1\d\d characters, over init's 127: write a host config \("runch host config"\)/);
  t.throws(() => processField(long, { ...vzmaster, node: `/${'n'.repeat(80)}` }, 'sysvinit'), /over init's 127: install node and runch on shorter paths/);
  const plan = planApply('sysvinit-dir', [entry({ id: long })], withInittab(ODD), vzmaster);
  const iid = derivedInittabId(long);
  t.match(plan.changes[0].after!, new RegExp(`^# vz container "${long}".*\\n${iid}:2345:respawn:${head} ${long}\\n$`));
  t.notMatch(plan.changes[0].after!, /@/);

  // Lines written before the host config named such an entry "@<inittab id>": still read (exec, stop), never written.
  const entries = [entry({ id: 'web1' }), entry({ id: long }), entry({ id: 'other', inittabId: 'q7' })];
  t.equal(resolveName(entries, `@${iid}`)?.id, long);
  t.equal(resolveName(entries, '@q7')?.id, 'other');
  t.equal(resolveName(entries, 'web1')?.id, 'web1');
  t.equal(resolveName(entries, '@zzzz'), undefined, 'none: undefined (exec then applies the table)');
  t.ok(execNames(long).has(`@${iid}`) && execNames(long).has(long) && execNames(long, 'q7').has('@q7'), 'stop looks for both forms');
});

t.test('managed block: every foreign byte kept, a missing last newline included', async (t) => {
  const added = spliceBlock(ODD, ['# vz: a', 'x:2345:respawn:/bin/a'], '/etc/inittab');
  t.ok(added.startsWith(`${ODD}\n${BEGIN_AFTER_NEWLINE}\n`), 'foreign text untouched, block appended');
  t.ok(added.endsWith(`${END}\n`));
  const replaced = spliceBlock(added, ['# vz: b', 'y:2345:respawn:/bin/b'], '/etc/inittab');
  t.equal(replaced, added.replace('# vz: a\nx:2345:respawn:/bin/a', '# vz: b\ny:2345:respawn:/bin/b'));
  t.equal(spliceBlock(replaced, [], '/etc/inittab'), ODD, 'removing the block gives the original bytes back');
  t.equal(spliceBlock(ODD, [], '/etc/inittab'), ODD, 'nothing to add: nothing changes');
  const middle = `head\n${BEGIN}\n# vz: a\nold\n${END}\ntail line\n`;
  t.equal(spliceBlock(middle, ['# vz: a', 'new'], 'f'), `head\n${BEGIN}\n# vz: a\nnew\n${END}\ntail line\n`, 'lines after the block stay after it');
  t.equal(spliceBlock(middle, [], 'f'), 'head\ntail line\n');
  t.throws(() => spliceBlock(`${BEGIN}\nx\n`, [], '/etc/inittab'), /1 BEGIN and 0 END vz marker lines/);
  t.throws(() => spliceBlock(`${END}\n${BEGIN}\n`, [], '/etc/inittab'), /leave exactly one BEGIN followed by one END/);
});

t.test('sysvinit with inittab.d: one file per entry; off kept as off; removal deletes the file', async (t) => {
  const entries = [entry({ id: 'web1' }), entry({ id: 'job', action: 'once' }), entry({ id: 'idle', action: 'off' }), entry({ id: 'nightly', action: 'cron' })];
  const plan = planApply('sysvinit-dir', entries, withInittab(ODD, { 'local.tab': 'zz:2:respawn:/bin/x\n' }), launcher);
  t.same(plan.changes.map((c) => c.path), ['/etc/inittab.d/vz-web1.tab', '/etc/inittab.d/vz-job.tab', '/etc/inittab.d/vz-idle.tab']);
  const web = plan.changes[0].after!;
  t.match(web, new RegExp(`^# vz container "web1".*\\n${derivedInittabId('web1')}:2345:respawn:/usr/local/bin/node /opt/vz/runch.mjs init exec web1\\n$`));
  t.match(plan.changes[2].after!, /:2345:off:/);
  t.same(plan.start, ['job', 'web1']);
  t.same(plan.stop, []);
  t.same(plan.skipped, ['nightly']);
  const applied = withInittab(ODD, { 'local.tab': 'zz:2:respawn:/bin/x\n', ...Object.fromEntries(plan.changes.map((c) => [c.path.split('/').pop()!, c.after!])) });
  t.same(planApply('sysvinit-dir', entries, applied, launcher).changes, [], 'applying twice changes nothing');
  const off = planApply('sysvinit-dir', [entry({ id: 'web1', action: 'off' })], applied, launcher);
  t.same(off.stop, ['job', 'web1'], 'off and removed entries are stopped');
  t.same(off.changes.map((c) => [c.path, c.after === undefined]), [
    ['/etc/inittab.d/vz-job.tab', true],
    ['/etc/inittab.d/vz-idle.tab', true],
    ['/etc/inittab.d/vz-web1.tab', false],
  ]);
  t.throws(() => planApply('sysvinit-dir', [entry({ id: 'a', inittabId: 'zz' })], applied, launcher), /already used by \/etc\/inittab.d\/local.tab line 1/);
  t.throws(() => planApply('sysvinit-dir', [entry({ id: 'a', inittabId: 'ca' })], applied, launcher), /already used by \/etc\/inittab line 9/);
  t.throws(() => planApply('sysvinit-dir', [entry({ id: 'a' }), entry({ id: 'a' })], applied, launcher), /two entries with id "a"/);
});

t.test('sysvinit without inittab.d and busybox: a managed block in /etc/inittab', async (t) => {
  const entries = [entry({ id: 'web1' }), entry({ id: 'idle', action: 'off' })];
  const sysv = planApply('sysvinit-block', entries, withInittab(ODD), launcher);
  t.equal(sysv.changes.length, 1);
  const text = sysv.changes[0].after!;
  t.ok(text.startsWith(ODD), 'foreign lines intact');
  t.match(text, /# vz: web1\n[0-9a-z]{4}:2345:respawn:\/usr\/local\/bin\/node \/opt\/vz\/runch.mjs init exec web1\n# vz: idle\n[0-9a-z]{4}:2345:off:/);
  t.same(planApply('sysvinit-block', entries, withInittab(text), launcher).changes, [], 'applying twice changes nothing');

  const bb = planApply('busybox', entries, withInittab(ODD), launcher);
  const bbText = bb.changes[0].after!;
  t.match(bbText, /# vz: web1\n::respawn:\/usr\/local\/bin\/node \/opt\/vz\/runch.mjs init exec web1\n# END/);
  t.notMatch(bbText, /idle/, 'busybox has no off: the entry is absent');
  t.same(bb.start, ['web1']);
  const gone = planApply('busybox', [], withInittab(bbText), launcher);
  t.same(gone.stop, ['web1'], 'busybox does not kill a removed entry\'s process: vz must');
  t.equal(gone.changes[0].after, ODD);
  const changed = planApply('busybox', [entry({ id: 'web1' })], withInittab(bbText), { ...launcher, root: '/r' });
  t.same([changed.stop, changed.start], [['web1'], ['web1']], 'a changed command is stopped before the new one starts');
  t.throws(
    () => planApply('busybox', [entry({ id: 'web1' })], withInittab(`::respawn:/usr/local/bin/node /opt/vz/runch.mjs init exec web1\n`), launcher),
    /already runs .* \(busybox init keys entries by command\)/,
  );
  t.throws(() => planApply('busybox', entries, withInittab(undefined), launcher), /\/etc\/inittab does not exist/);
});

t.test('systemd and OpenRC: one unit / service per entry', async (t) => {
  const plan = planApply('systemd', [entry({ id: 'web1', stopSignal: 'INT', stopTimeoutMs: 2500 }), entry({ id: 'idle', action: 'off' })], withInittab(undefined), launcher);
  t.same(plan.changes.map((c) => c.path), ['/etc/systemd/system/vz-web1.service']);
  t.match(plan.changes[0].after!, /ExecStart=\/usr\/local\/bin\/node \/opt\/vz\/runch.mjs init exec web1\nRestart=always\n[^]*KillSignal=SIGINT\nTimeoutStopSec=3\n/);
  const rc = planApply('openrc', [entry({ id: 'web1' })], withInittab(undefined), launcher);
  t.equal(rc.changes[0].path, '/etc/init.d/vz-web1');
  t.equal(rc.changes[0].mode, 0o755);
  t.match(rc.changes[0].after!, /^#!\/sbin\/openrc-run\n[^]*supervisor=supervise-daemon\ncommand='\/usr\/local\/bin\/node'\ncommand_args='\/opt\/vz\/runch.mjs init exec web1'/);
});

t.test('dry-run diff', async (t) => {
  t.equal(diffChange({ path: '/etc/inittab', before: 'a\nb\n', after: 'a\nc\nb\n', mode: 0o644 }), '--- /etc/inittab\n+++ /etc/inittab\n+c\n');
  t.equal(diffChange({ path: '/f', before: 'x\n', mode: 0o644 }), '--- /f\n+++ /dev/null\n-x\n');
});
