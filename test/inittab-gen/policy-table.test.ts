// issue 13: one policy table per init (native, mapped, refused), in docs/inittab-gen.md, in `runch init detect
// --json`, and behind host apply's refusals; systemd's unit carries the restart policy natively.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import t from 'tap';
import { initEntrySchema } from '../../inittab-gen/entry.ts';
import { planApply } from '../../inittab-gen/plan.ts';
import { FEATURES, POLICY_TABLE, policyTableMarkdown, refusal, TABLE_INITS } from '../../inittab-gen/policy-table.ts';
import { entrySpec } from '../../runch/host/apply.ts';
import { parseShow } from '../../inittab-gen/systemd-status.ts';
import { cronToOnCalendar } from '../../inittab-gen/systemd/calendar.ts';
import type { CrondFound } from '../../inittab-gen/openrc/crontab.ts';
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
    const line = refusal(init, feature, `${feature} "x"`);
    if (line !== undefined) t.ok(!line.includes('\n') && line.endsWith(cell.fix!), `${init} ${feature}: one line ending in the fix`);
  }
});

t.test('host apply refuses from the table, in one line naming the fix; systemd takes on-failure', async (t) => {
  t.throws(() => entrySpec('/b', { policy: 'on-failure', max: 3 }, undefined, 'init', () => 'openrc'), /^restart "on-failure:3" needs supervisor mode on OpenRC \(supervise-daemon respawns on every exit, whatever its code\): set vz_mode: supervisor for this host, or use restart: always$/);
  t.throws(() => entrySpec('/b', { policy: 'always' }, '*/5 * * * *', 'init', () => 'busybox'), /^schedule "\*\/5 \* \* \* \*" needs supervisor mode on a busybox init \(it has no clock\)/);
  t.equal(entrySpec('/b', { policy: 'always' }, '*/5 * * * *', 'init', () => 'openrc').schedule, '*/5 * * * *', "OpenRC: the host's crond (judged by the apply)");
  t.equal(entrySpec('/b', { policy: 'always' }, '*/5 * * * *', 'init', () => 'systemd').schedule, '*/5 * * * *', 'systemd: a timer');
  t.same(entrySpec('/b', { policy: 'on-failure', max: 3 }, undefined, 'init', () => 'systemd'), { bundle: '/b', once: false, schedule: undefined, restart: 'on-failure', restartMax: 3 });
  t.same(entrySpec('/b', { policy: 'no' }, undefined, 'init', () => 'systemd').once, true);
  t.same(entrySpec('/b', { policy: 'on-failure' }, '* * * * *', 'supervisor', () => 'busybox').schedule, '* * * * *', 'supervisor mode refuses nothing');
});

t.test('systemd: the restart policy as systemd options', async (t) => {
  // issue 13: a launcher that fails before its backoff cannot spin; the launcher's 8 starts in 120 s stay under it.
  t.match(unit({}), /StartLimitIntervalSec=120\nStartLimitBurst=10\n[\s\S]*Restart=always\nRestartSec=0ms\n/);
  const three = unit({ restart: 'on-failure', restartMax: 3 });
  t.match(three, /StartLimitIntervalSec=infinity\nStartLimitBurst=4\n[\s\S]*Restart=on-failure\n/, 'on-failure:3: 4 starts, never forgotten');
  t.match(unit({ restart: 'on-failure' }), /StartLimitIntervalSec=120\nStartLimitBurst=10\n[\s\S]*Restart=on-failure\n/);
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
  t.same((answer as unknown as { schedules: unknown }).schedules, { by: 'systemd-timers' }, 'systemd: schedules are timers');
  const busybox = await runch(`${dir}/run`, ['init', 'detect', '--json', '--init', 'busybox', '--table', `${dir}/table`]);
  t.match(JSON.parse(busybox.stdout).schedules, { by: 'none', reason: /busybox has no clock: set vz_mode: supervisor/ }, 'busybox: no clock, and the way out');
  const text = await runch(`${dir}/run`, ['init', 'detect', '--init', 'systemd', '--table', `${dir}/table`]);
  t.match(text.stdout, /^schedules: systemd timers$/m, 'the plain answer says it too');
  // OpenRC's answer depends on which crond runs (test/master/inits-policies.test.ts sees both on a live host).
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

t.test('OpenRC: a schedule is a flock -n line in vz\'s block of root\'s crontab; foreign bytes kept; no crond, refused', async (t) => {
  const job = initEntrySchema.parse({ id: 'job', bundle: '/srv/job', action: 'cron', schedule: '*/5 * * * *' });
  const busybox: CrondFound = { kind: 'busybox', crond: { pid: 7, dir: '/etc/crontabs' } };
  const foreign = '# m h dom mon dow command\n0 4 * * * /etc/periodic/daily  \t\xe9'; // no last newline
  const plan = (entries: typeof job[], text: string | undefined, found: CrondFound = busybox) =>
    planApply('openrc', entries, { dir: new Map(), cron: { found, crontab: { path: '/etc/crontabs/root', text }, flock: '/usr/bin/flock' } }, { ...launcher, launchers: '/var/lib/vz/launch' });
  const added = plan([job], foreign);
  t.same(added.changes.map((c) => [c.path, c.mode]), [['/etc/crontabs/root', 0o600]], 'no service file: only the crontab');
  t.same(added.start, ['job']);
  const text = added.changes[0].after!;
  t.ok(text.startsWith(`${foreign}\n# BEGIN vz managed block`), 'every foreign byte first, as it was');
  t.match(text, /\n# vz: job\n\*\/5 \* \* \* \* \/usr\/bin\/flock -n \/run\/vz-job\.cron\.lock \/var\/lib\/vz\/launch\/job\n# END vz managed block\n$/);
  const removed = plan([], text);
  t.equal(removed.changes[0].after, foreign, 'removal gives the crontab back byte for byte');
  t.same(removed.stop, ['job'], 'a run still going is stopped');
  t.equal(plan([], added.changes[0].after!.slice(foreign.length + 1), busybox).changes[0].after, undefined, 'a crontab that held only vz\'s block goes');
  t.same(plan([job], text).changes, [], 'idempotent');
  t.throws(() => plan([job], foreign, { kind: 'none' }), /^schedule "\*\/5 \* \* \* \*" of "job" needs a running crond on OpenRC, and none runs: start busybox crond from the default runlevel \(rc-update add crond default; rc-service crond start\), or set vz_mode: supervisor for this host$/);
  t.throws(() => plan([job], foreign, { kind: 'other', pid: 9, binary: '/usr/sbin/cron' }), /the cron daemon running here \(pid 9, \/usr\/sbin\/cron\) is another one vz does not write for/);
  for (const [schedule, why] of [['*/2 * * * * *', /cron counts minutes, not seconds/], ['0 0 * * 7', /day of the week "7"/], ['0 0 * JAN *', /month "JAN"/], ['5/10 * * * *', /minute "5\/10"/]] as const)
    t.throws(() => plan([{ ...job, schedule }], foreign), why, schedule);
  t.equal(plan([{ ...job, schedule: '0-30/10 3,4 1-15 * 1-5' }], undefined).changes.length, 1, 'ranges, lists and steps as busybox crond reads them');
});
