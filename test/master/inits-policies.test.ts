// issue 13: restart policies and supervisor mode on a live systemd and OpenRC host, through vzmaster.
// systemd honours `on-failure:3` natively (exit 0: not restarted; exit 1: restarted three times) and `no`, and bounds
// a restart loop the launcher cannot space out (StartLimitBurst) without giving up on one it does; OpenRC refuses
// on-failure in one line naming the fix, and runs a schedule through the host's busybox crond (refused in one line
// when none runs), foreign crontab lines kept byte for byte; in supervisor mode the supervisor is one unit / service.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse, stringify } from 'yaml';
import { scratch } from '../helpers/fixtures.ts';
import { startLab, sshRun, busyboxImage } from '../helpers/lab.ts';

const image = busyboxImage;


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The lab's inventory with vz_mode: supervisor on every host, written beside the test's files. */
function supervisorInventory(labInventory: string, file: string): string {
  const doc = parse(readFileSync(labInventory, 'utf8')) as { all: { children: Record<string, { hosts: Record<string, Record<string, unknown>> }> } };
  for (const group of Object.values(doc.all.children)) for (const vars of Object.values(group.hosts)) vars.vz_mode = 'supervisor';
  writeFileSync(file, stringify(doc));
  return file;
}

t.test('issue 13: on-failure:3 and no on systemd, on-failure refused on OpenRC, supervisor mode on both', async (t) => {
  const dir = scratch(t);
  const fails = image(dir, 'fails', 'echo "fails ran"; exit 1');
  const exits0 = image(dir, 'exits0', 'echo "exits0 ran"; exit 0');
  const once = image(dir, 'once', 'echo "once ran"; exit 1');
  const hello = image(dir, 'hello', 'echo "hello started"; exec sleep 1000');
  const crash = image(dir, 'crash', 'echo "crash ran"; exit 1');
  const tick = image(dir, 'tick', 'echo "begin $(date +%s)"; sleep 25; echo "end $(date +%s)"');
  const lab = await startLab(t, { inits: ['systemd', 'openrc'] });
  const [systemd, openrc] = lab.hosts();
  const run = (...args: string[]) => lab.run(args, 240_000);
  const show = async (app: string) => {
    const out = (await sshRun(lab, systemd, `systemctl show -p ActiveState,NRestarts,Result vz-${app}.service`)).stdout;
    return Object.fromEntries(out.trim().split('\n').map((l) => l.split('=') as [string, string]));
  };
  const runs = (app: string) => (readFileSync(`/proc/${systemd.initPid}/root/var/lib/vz/log/${app}.log`, 'utf8').match(new RegExp(`^${app} ran$`, 'gm')) ?? []).length;
  const settle = async (app: string, done: (s: Record<string, string>) => boolean, ms = 30_000) => {
    const deadline = Date.now() + ms;
    let state = await show(app);
    while (!done(state) && Date.now() < deadline) {
      await sleep(500);
      state = await show(app);
    }
    return state;
  };

  // OpenRC's schedule, set going first: crond fires at the next full minute, while the systemd checks below run.
  const crontab = `/proc/${openrc.initPid}/root/etc/crontabs/root`;
  t.equal((await sshRun(lab, openrc, "printf '# a foreign line, kept as is\\n0 4 * * * /bin/true  \\t' >/etc/crontabs/root")).exitCode, 0);
  const foreign = readFileSync(crontab);
  t.equal((await sshRun(lab, openrc, 'rc-service crond stop')).exitCode, 0, 'crond stopped');
  const noCrond = await run('start', 'tick', '--image', tick, '--schedule', '* * * * *', '--limit', openrc.name);
  t.not(noCrond.exitCode, 0, 'no crond: refused');
  t.match(noCrond.stdout, /schedule "\* \* \* \* \*" of "tick" needs a running crond on OpenRC, and none runs: start busybox crond from the default runlevel \(rc-update add crond default; rc-service crond start\), or set vz_mode: supervisor for this host/);
  t.same(readFileSync(crontab), foreign, 'the refusal wrote nothing into the crontab');
  t.equal((await sshRun(lab, openrc, 'ls /var/lib/vz/launch/tick')).exitCode, 2, 'nor a launcher');
  // runch (copied by the refused start) says what runs schedules here.
  const detect = async () => JSON.parse((await sshRun(lab, openrc, 'node /var/lib/vz/bin/runch.cjs init detect --json')).stdout || '{}').schedules;
  t.match(await detect(), { by: 'none', reason: /no crond runs: rc-update add crond default; rc-service crond start/ }, 'runch init detect: no crond, and how to start it');
  t.equal((await sshRun(lab, openrc, 'rc-service crond start')).exitCode, 0, 'crond started');
  t.match(await detect(), { by: 'busybox-crond', pid: Number, crontabs: '/etc/crontabs' }, 'runch init detect: the busybox crond that runs schedules');
  const ticking = await run('start', 'tick', '--image', tick, '--schedule', '* * * * *', '--limit', openrc.name);
  t.equal(ticking.exitCode, 0, `start tick on OpenRC: ${ticking.stdout}${ticking.stderr}`);
  t.ok(readFileSync(crontab).subarray(0, foreign.length).equals(foreign) && readFileSync(crontab, 'utf8').includes('\n# vz: tick\n* * * * * '), 'the schedule is a line in vz\'s block after the foreign bytes');

  // systemd: a crash loop stays the launcher's to space out (at most 8 starts in 120 s, under StartLimitBurst=10)...
  const crashing = await run('start', 'crash', '--image', crash, '--limit', systemd.name);
  t.equal(crashing.exitCode, 0, `start crash: ${crashing.stdout}${crashing.stderr}`);

  const failing = await run('start', 'fails', '--image', fails, '--restart', 'on-failure:3', '--limit', systemd.name);
  t.equal(failing.exitCode, 0, `start fails: ${failing.stdout}${failing.stderr}`);
  const failed = await settle('fails', (s) => s.ActiveState === 'failed');
  t.equal(failed.ActiveState, 'failed', `exit 1 under on-failure:3: left down at last (${JSON.stringify(failed)})`);
  await sleep(2_000);
  // (systemd 252 counts the restart its start limit refused in NRestarts: the runs are what counts.)
  t.equal(runs('fails'), 4, 'it ran four times: once and three restarts, no more');
  // vz's status reads systemd's word (one `systemctl show` for every unit): given up on, not "stopped".
  const st = await run('status', 'fails', '--limit', systemd.name, '--json');
  t.match((JSON.parse(st.stdout) as { hosts: { apps: unknown[] }[] }).hosts[0].apps[0], { state: 'exited', error: /^systemd gave up on vz-fails\.service \(exit-code, \d restarts\)$/ }, 'status: exited, systemd gave up');

  const clean = await run('start', 'exits0', '--image', exits0, '--restart', 'on-failure:3', '--limit', systemd.name);
  t.equal(clean.exitCode, 0, `start exits0: ${clean.stdout}${clean.stderr}`);
  const exited = await settle('exits0', (s) => s.ActiveState === 'inactive' && runs('exits0') > 0);
  await sleep(2_000);
  t.same([(await show('exits0')).NRestarts, runs('exits0')], ['0', 1], `exit 0 under on-failure:3: not restarted (${JSON.stringify(exited)})`);

  const no = await run('start', 'once', '--image', once, '--restart', 'no', '--limit', systemd.name);
  t.equal(no.exitCode, 0, `start once: ${no.stdout}${no.stderr}`);
  await settle('once', (s) => s.ActiveState !== 'active' && s.ActiveState !== 'activating' && runs('once') > 0);
  await sleep(2_000);
  t.same([(await show('once')).NRestarts, runs('once')], ['0', 1], 'restart "no": ran once, exit 1 not restarted');

  const refused = await run('start', 'fails', '--image', fails, '--restart', 'on-failure:3', '--limit', openrc.name);
  t.not(refused.exitCode, 0, 'OpenRC refuses on-failure');
  t.match(refused.stdout, /restart "on-failure:3" needs supervisor mode on OpenRC \(supervise-daemon respawns on every exit, whatever its code\): set vz_mode: supervisor for this host, or use restart: always/);
  t.equal((await sshRun(lab, openrc, 'ls /etc/init.d/vz-fails')).exitCode, 2, 'nothing written for it');

  const crashState = await show('crash');
  t.equal(crashState.ActiveState, 'active', `a crash loop under the launcher's backoff: systemd does not give up (${JSON.stringify(crashState)})`);
  t.ok(Number(crashState.NRestarts) >= 5 && Number(crashState.NRestarts) <= 8, `it restarted, spaced by the launcher (${crashState.NRestarts} restarts)`);
  // ...but a launcher that fails before its backoff (its state directory a file) is stopped after 10 starts.
  const spinning = await run('start', 'spin', '--image', hello, '--limit', systemd.name);
  t.equal(spinning.exitCode, 0, `start spin: ${spinning.stdout}${spinning.stderr}`);
  const broken = await sshRun(lab, systemd, 'd=$(sed -n "s/^dir=\'\\(.*\\)\'$/\\1/p" /var/lib/vz/launch/spin) && [ -n "$d" ] && pid=$(systemctl show -p MainPID --value vz-spin.service) && rm -rf "$d" && touch "$d" && kill -9 "$pid"');
  t.equal(broken.exitCode, 0, `state directory replaced by a file, container killed: ${broken.stderr}`);
  const spun = await settle('spin', (s) => s.ActiveState === 'failed', 15_000);
  // (systemd 252 keeps the last exit's Result, exit-code, when its start limit refuses the automatic restart.)
  t.equal(spun.ActiveState, 'failed', `systemd stopped the spin (${JSON.stringify(spun)})`);
  t.ok(Number(spun.NRestarts) <= 10, `after at most 10 starts (${spun.NRestarts} restarts)`);
  await sleep(2_000);
  t.same(await show('spin'), spun, 'and it stays stopped: no more starts');
  await sshRun(lab, systemd, 'd=$(sed -n "s/^dir=\'\\(.*\\)\'$/\\1/p" /var/lib/vz/launch/spin) && rm -f "$d"');

  // OpenRC's schedule: crond has fired by now or will at the next minute; a run still going makes the next skip.
  const tickLog = `/proc/${openrc.initPid}/root/var/lib/vz/log/tick.log`;
  const marks = (word: string) => (existsSync(tickLog) ? (readFileSync(tickLog, 'utf8').match(new RegExp(`^${word} \\d+$`, 'gm')) ?? []).length : 0);
  const tickDeadline = Date.now() + 75_000;
  while (marks('begin') === marks('end') && Date.now() < tickDeadline) await sleep(500);
  t.ok(marks('begin') > marks('end'), `crond started the schedule (${marks('begin')} begun, ${marks('end')} ended)`);
  // The next firing, by hand: crontab's own line while the run goes.
  const begun = marks('begin');
  const again = await sshRun(lab, openrc, 'sh -c "$(sed -n "/^# vz: tick$/{n;p;}" /etc/crontabs/root | cut -d" " -f6-)"');
  t.same([again.exitCode, marks('begin')], [1, begun], 'the next firing while a run goes exits at once (flock -n): never two runs');
  const stopTick = await run('stop', 'tick', '--limit', openrc.name);
  t.equal(stopTick.exitCode, 0, `stop tick: ${stopTick.stderr}`);
  t.same(readFileSync(crontab), foreign, 'stop gives the crontab back byte for byte');
  t.equal((await sshRun(lab, openrc, 'ls /run/vz-tick.cron.lock; pgrep -fx "sleep 25"')).stdout, '', 'the run going was stopped, its lock removed');

  for (const app of ['fails', 'exits0', 'once', 'crash', 'spin']) {
    const removed = await run('stop', app, '--limit', systemd.name);
    t.equal(removed.exitCode, 0, `stop ${app}: ${removed.stderr}`);
  }

  // Supervisor mode: init supervises one runch supervise, which runs the app.
  const flags = ['-i', supervisorInventory(lab.inventory, join(dir, 'inventory.yml')), '--config', join(lab.dir, 'vzmaster.json')];
  const sup = await lab.run(['start', 'hello', '--image', hello, ...flags], 240_000);
  t.equal(sup.exitCode, 0, `start in supervisor mode: ${sup.stdout}${sup.stderr}`);
  const units = await sshRun(lab, systemd, 'systemctl show -p ActiveState vz-vz-supervise.service; ls /etc/systemd/system | grep "^vz-"');
  t.same(units.stdout.trim().split('\n'), ['ActiveState=active', 'vz-vz-supervise.service'], 'systemd: the supervisor is the one unit');
  const services = await sshRun(lab, openrc, 'rc-service vz-vz-supervise status; ls /etc/init.d | grep "^vz-" | grep -v "^vz-lab-"');
  t.same(services.stdout.trim().split('\n').map((l) => l.trim()), ['* status: started', 'vz-vz-supervise'], 'OpenRC: the supervisor is the one service');
  const deadline = Date.now() + 30_000;
  let status = await lab.run(['status', 'hello', '--json', ...flags]);
  const allRunning = () => (JSON.parse(status.stdout) as { hosts: { apps: { state: string }[] }[] }).hosts.every((h) => h.apps[0]?.state === 'running');
  while (!allRunning() && Date.now() < deadline) {
    await sleep(500);
    status = await lab.run(['status', 'hello', '--json', ...flags]);
  }
  t.ok(allRunning(), `the supervisor runs hello on both: ${status.stdout}`);
});
