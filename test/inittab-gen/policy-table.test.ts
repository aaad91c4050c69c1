// issue 13: one policy table per init (native, mapped, refused), in docs/inittab-gen.md, in `runch init detect
// --json`, and behind host apply's refusals; systemd's unit carries the restart policy natively.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import t from 'tap';
import { initEntrySchema } from '../../inittab-gen/entry.ts';
import { planApply } from '../../inittab-gen/plan.ts';
import { FEATURES, POLICY_TABLE, policyTableMarkdown, TABLE_INITS } from '../../inittab-gen/policy-table.ts';
import { entrySpec } from '../../runch/host/apply.ts';
import { parseShow } from '../../inittab-gen/systemd-status.ts';
import { cronToOnCalendar } from '../../inittab-gen/systemd/calendar.ts';
import { RUNCH, runch, scratch } from '../helpers/fixtures.ts';

const launcher = { node: process.execPath, runch: RUNCH };
const unit = (fields: Record<string, unknown>) =>
  planApply('systemd', [initEntrySchema.parse({ id: 'web1', bundle: '/srv/web1', action: 'respawn', ...fields })], { dir: new Map() }, launcher).changes[0].after!;

t.test('the docs hold the table as the code has it', async (t) => {
  const docs = readFileSync(resolve(import.meta.dirname, '../../docs/inittab-gen.md'), 'utf8');
  t.ok(docs.includes(policyTableMarkdown()), 'docs/inittab-gen.md holds policyTableMarkdown() (regenerate it there)');
  t.notMatch(docs, /preview/i, 'systemd and OpenRC are no longer "preview"');
  for (const init of TABLE_INITS) for (const feature of FEATURES) {
    const cell = POLICY_TABLE[init][feature];
    t.ok(cell.support !== 'refused' || cell.fix, `${init} ${feature}: a refusal names its fix`);
  }
});

t.test('host apply refuses from the table, in one line naming the fix; systemd takes on-failure', async (t) => {
  t.throws(() => entrySpec('/b', { policy: 'on-failure', max: 3 }, undefined, 'init', () => 'openrc'), /^restart "on-failure:3" needs supervisor mode on OpenRC \(supervise-daemon respawns on every exit, whatever its code\): set vz_mode: supervisor for this host, or use restart: always$/);
  t.throws(() => entrySpec('/b', { policy: 'always' }, '*/5 * * * *', 'init', () => 'openrc'), /^schedule "\*\/5 \* \* \* \*" needs supervisor mode on OpenRC/);
  t.equal(entrySpec('/b', { policy: 'always' }, '*/5 * * * *', 'init', () => 'systemd').schedule, '*/5 * * * *', 'systemd: a timer');
  t.same(entrySpec('/b', { policy: 'on-failure', max: 3 }, undefined, 'init', () => 'systemd'), { bundle: '/b', once: false, schedule: undefined, restart: 'on-failure', restartMax: 3 });
  t.same(entrySpec('/b', { policy: 'no' }, undefined, 'init', () => 'systemd').once, true);
  t.same(entrySpec('/b', { policy: 'on-failure' }, '* * * * *', 'supervisor', () => 'busybox').schedule, '* * * * *', 'supervisor mode refuses nothing');
});

t.test('systemd: the restart policy as systemd options', async (t) => {
  t.match(unit({}), /StartLimitIntervalSec=0\n[\s\S]*Restart=always\n/);
  const three = unit({ restart: 'on-failure', restartMax: 3 });
  t.match(three, /StartLimitIntervalSec=infinity\nStartLimitBurst=4\n[\s\S]*Restart=on-failure\n/, 'on-failure:3: 4 starts, never forgotten');
  t.match(unit({ restart: 'on-failure' }), /StartLimitIntervalSec=0\n[\s\S]*Restart=on-failure\n/);
  t.match(unit({ action: 'once' }), /Restart=no\n/);
  t.match(unit({ stopSignal: 'QUIT', stopTimeoutMs: 2500 }), /KillSignal=SIGQUIT\nTimeoutStopSec=3\nKillMode=mixed\n/);
  t.match(unit({}), /StandardOutput=append:\/var\/log\/vz\/web1\.log\nStandardError=append:\/var\/log\/vz\/web1\.log\n/, "vz's log file");
});

t.test('runch init detect --json prints the table', async (t) => {
  const dir = scratch(t);
  const detect = await runch(`${dir}/run`, ['init', 'detect', '--json', '--init', 'systemd', '--table', `${dir}/table`]);
  t.equal(detect.exitCode, 0, detect.stderr);
  const answer = JSON.parse(detect.stdout) as { kind: string; mode: string; policies: Record<string, unknown>; table: unknown };
  t.equal(answer.kind, 'systemd');
  t.equal(answer.mode, 'init');
  t.same(Object.keys(answer.policies), ['systemd', 'supervisor']);
  t.same(answer.table, POLICY_TABLE);
});

t.test("systemctl show's answer for several units, read in one pass", async (t) => {
  const text = 'Id=vz-a.service\nActiveState=failed\nSubState=failed\nResult=exit-code\nMainPID=0\nNRestarts=4\nExecMainStartTimestamp=\n\nId=vz-b.service\nActiveState=active\nSubState=running\nResult=success\nMainPID=42\nNRestarts=0\nExecMainStartTimestamp=Tue 2026-12-01 22:00:00 UTC\n\nId=ssh.service\nActiveState=active\n';
  const units = parseShow(text);
  t.same([...units.keys()], ['a', 'b'], "only vz's units");
  t.same(units.get('a'), { active: 'failed', sub: 'failed', result: 'exit-code', mainPid: 0, restarts: 4, started: undefined });
  t.equal(units.get('b')?.mainPid, 42);
});

t.test('cron to OnCalendar: exact forms, the rest refused in one line', async (t) => {
  t.equal(cronToOnCalendar('*/5 * * * *'), '*-*-* *:00/5:00');
  t.equal(cronToOnCalendar('*/2 * * * * *'), '*-*-* *:*:00/2');
  t.equal(cronToOnCalendar('0 3 * * 1-5'), 'Mon..Fri *-*-* 03:00:00');
  t.equal(cronToOnCalendar('30 2 1,15 * *'), '*-*-01,15 02:30:00');
  t.throws(() => cronToOnCalendar('0 0 1 * 1'), /^schedule "0 0 1 \* 1" has no systemd timer form \(cron runs it when the day of the month OR the day of the week matches, systemd only when both do: give one of them as \*\): change the schedule, or set vz_mode: supervisor for this host$/);
  t.throws(() => cronToOnCalendar('0 0 * JAN *'), /month "JAN"/);
  const timer = planApply('systemd', [initEntrySchema.parse({ id: 'job', bundle: '/srv/job', action: 'cron', schedule: '*/5 * * * *' })], { dir: new Map() }, launcher).changes;
  t.same(timer.map((c) => c.path), ['/etc/systemd/system/vz-job.service', '/etc/systemd/system/vz-job.timer']);
  t.match(timer[0].after, /Restart=no\n/);
  t.notMatch(timer[0].after, /\[Install\]/, 'the service is started by its timer only');
  t.match(timer[1].after, /OnCalendar=\*-\*-\* \*:00\/5:00\nAccuracySec=1s\nUnit=vz-job\.service\n/);
});
