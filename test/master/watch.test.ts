// issue 15: vzmaster watch on a real lab: a frozen host is not acted on before --lost-after checks; a stopped host has
// its replica moved to another vendor within the bound and notified; its return stops the surplus, notified; a held
// deploy lock is honoured; the jobs it installs run a real round; bad flags are one line.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { processStartTime } from '../../base/proc.ts';
import { scratch } from '../helpers/fixtures.ts';
import { busyboxImage, startLab, type TestLab, VZMASTER } from '../helpers/lab.ts';

interface Event { event: string; host?: string; app?: string; hosts?: string[]; detail: string }

const events = (file: string): Event[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event) : []);

async function running(lab: TestLab): Promise<string[]> {
  const result = await lab.run(['status', 'web', '--json']);
  const hosts = JSON.parse(result.stdout).hosts as { host: string; reachable: boolean; apps: { wanted: string; state: string }[] }[];
  return hosts.filter((h) => h.reachable && h.apps.some((a) => a.wanted !== 'off' && a.state === 'running')).map((h) => h.host).sort();
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

t.test('issue 15: the watch moves a lost host\'s replica, stops the surplus on its return, and never acts on one miss', async (t) => {
  const dir = scratch(t);
  const lab = await startLab(t, { hosts: 3, busybox: 0 });
  const stateDir = JSON.parse(readFileSync(join(lab.dir, 'vzmaster.json'), 'utf8')).stateDir as string;
  const image = busyboxImage(dir, 'web', 'echo up; exec sleep 100000');
  writeFileSync(join(dir, 'web.yml'), `app: web\nimage: ${image}\nreplicas: 2\nrolling: { batch: 2, minUptime: 1, timeout: 60 }\n`);
  const deployed = await lab.run(['deploy', join(dir, 'web.yml')], 300_000);
  t.equal(deployed.exitCode, 0, deployed.stderr);
  t.same(await running(lab), ['vps1', 'vps2'], 'two replicas on two vendors');

  // The hook is the user's command line; the event arrives on stdin only.
  const hookFile = join(dir, 'hook.jsonl');
  const notify = `cat >> '${hookFile}'`;
  const once = (...extra: string[]) => lab.run(['watch', '--once', '--lost-after', '2', '--notify', notify, ...extra], 120_000);

  t.test('a frozen host: one missed check is no action; an answer starts the count again', async (t) => {
    t.equal((await lab.run(['lab', 'freeze-host', 'vps1'])).exitCode, 0);
    const first = await once();
    t.equal(first.exitCode, 0, first.stderr);
    const log = first.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    t.ok(log.some((l) => l.event === 'host-missed' && l.host === 'vps1'), 'the miss is logged as JSON');
    t.ok(log.some((l) => l.decision === 'wait' && l.app === 'web'), 'the app waits for vps1');
    t.notOk(log.some((l) => l.decision === 'reconcile'), 'nothing is acted on after one miss');
    t.same(events(hookFile), [], 'a miss is not notified');
    t.same(JSON.parse(readFileSync(join(stateDir, 'apps', 'web.json'), 'utf8')).hosts, ['vps1', 'vps2'], 'the record is untouched');
    t.equal((await lab.run(['lab', 'thaw-host', 'vps1'])).exitCode, 0);
    t.equal((await once()).exitCode, 0);
    t.equal(JSON.parse(readFileSync(join(stateDir, 'watch', 'state.json'), 'utf8')).hosts.vps1.misses, 0, 'the answer reset the count');
    t.same(await running(lab), ['vps1', 'vps2'], 'nothing moved');
  });

  t.test('a held deploy lock: the watch skips the app and acts in a later round', async (t) => {
    // A deploy of web "in progress": the lock dir naming a live process (this test).
    const lockDir = join(stateDir, 'locks', 'web.lock');
    mkdirSync(lockDir, { recursive: true });
    writeFileSync(join(lockDir, 'owner'), `${process.pid} ${processStartTime(process.pid)}\n`);
    t.equal((await lab.run(['lab', 'stop-host', 'vps2'])).exitCode, 0);
    t.equal((await once()).exitCode, 0, 'first miss');
    const second = await once();
    t.match(second.stdout, /"decision":"skip".*the deploy of \\"web\\" is busy/, 'the lost host is acted on only under the lock: skipped while a deploy holds it');
    t.notOk(events(hookFile).some((e) => e.event === 'rescheduled'), 'nothing moved');
    rmSync(lockDir, { recursive: true });
    const third = await once();
    t.equal(third.exitCode, 0, third.stderr);
    const moved = events(hookFile).find((e) => e.event === 'rescheduled');
    t.same(moved?.hosts, ['vps3'], 'with the lock free, the replica moves to the third vendor');
    t.same(await running(lab), ['vps1', 'vps3']);
    t.equal((await lab.run(['lab', 'start-host', 'vps2'])).exitCode, 0);
    const back = await once();
    t.equal(back.exitCode, 0, back.stderr);
    t.ok(events(hookFile).some((e) => e.event === 'host-back' && e.host === 'vps2'), 'host-back notified');
    const surplus = events(hookFile).find((e) => e.event === 'surplus-stopped');
    t.ok(surplus, `the surplus is stopped and notified: ${JSON.stringify(surplus)}`);
    t.equal((await running(lab)).length, 2, 'two replicas again');
  });

  t.test('in the foreground: host loss to replicas elsewhere within the bound, then the surplus on return', async (t) => {
    rmSync(hookFile, { force: true });
    // Rounds every 2 s, lost after 2 misses: the bound is 2 rounds of misses + the round that acts (each round at most
    // the 5 s connect timeout of an unreachable host, a stopped host refuses at once) + one deploy to one host.
    const out = join(dir, 'watch.out');
    const child = spawn(process.execPath, [VZMASTER, 'watch', '--every', '*/2 * * * * *', '--lost-after', '2', '--notify', notify], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...lab.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    t.teardown(() => child.kill('SIGKILL'));
    await until('the first round', 60_000, () => (stdout.includes('"round":"done"') ? true : undefined));
    const holder = (await running(lab)).find((h) => h !== 'vps1') ?? 'vps3';
    const lostAt = Date.now();
    t.equal((await lab.run(['lab', 'stop-host', holder])).exitCode, 0);
    const moved = await until('rescheduled', 90_000, () => events(hookFile).find((e) => e.event === 'rescheduled'));
    const seconds = (Date.now() - lostAt) / 1000;
    t.ok(seconds < 45, `replicas running elsewhere ${seconds.toFixed(1)} s after the loss (bound 45 s)`);
    t.comment(`host loss -> replica elsewhere: ${seconds.toFixed(1)} s; watch RSS ${rssOf(child.pid!)} KiB`);
    t.same(events(hookFile).map((e) => e.event).filter((e) => e === 'host-lost' || e === 'rescheduled'), ['host-lost', 'rescheduled'], 'host-lost, then rescheduled');
    t.notOk(moved.hosts?.includes(holder), `moved away from ${holder}: ${moved.hosts}`);
    t.equal((await running(lab)).length, 2, 'two replicas run');
    t.equal((await lab.run(['lab', 'start-host', holder])).exitCode, 0);
    await until('surplus-stopped', 90_000, () => events(hookFile).find((e) => e.event === 'surplus-stopped'));
    t.equal((await running(lab)).length, 2, 'the surplus is gone: two replicas');
    child.kill('SIGINT');
    t.equal(await exited, 0, `Ctrl-C ends the watch after its round with exit 0: ${stderr}`);
    t.equal(stderr, '', 'nothing on stderr: a tick that finds a round still going is skipped quietly');
    writeFileSync(out, stdout);
    const lines = stdout.split('\n').filter(Boolean);
    t.ok(lines.every((l) => { try { JSON.parse(l); return true; } catch { return false; } }), 'every line it printed is JSON');
  });

  t.test('the jobs it installs run a real round, and bad flags are one line', async (t) => {
    const cronDir = join(dir, 'cron.d');
    const installed = await lab.run(['watch', '--install', 'cron', '--dir', cronDir, '--every', '*/2 * * * *', '--notify', `${notify} # 100%`]);
    t.equal(installed.exitCode, 0, installed.stderr);
    const line = readFileSync(join(cronDir, 'vz-watch'), 'utf8').split('\n').find((l) => l.startsWith('*/2'))!;
    t.match(line, /^\*\/2 \* \* \* \* root '/, 'a cron.d line: schedule, user, command');
    t.match(line, /100\\%/, "cron's % is escaped");
    // What cron does with it: % unescaped, the command to /bin/sh, with none of this shell's environment.
    const command = line.split(' ').slice(6).join(' ').replaceAll('\\%', '%');
    const ran = spawn('/bin/sh', ['-c', command], { env: { PATH: '/usr/bin:/bin' }, stdio: 'ignore' });
    t.equal(await new Promise((r) => ran.on('exit', r)), 0, 'the cron command runs one round');
    t.match(readFileSync(join(stateDir, 'watch', 'watch.log'), 'utf8'), /"round":"done"/, 'its output went to the watch log');
    const unitDir = join(dir, 'units');
    const unit = await lab.run(['watch', '--install', 'systemd', '--dir', unitDir, '--period', '30']);
    t.equal(unit.exitCode, 0, unit.stderr);
    t.match(readFileSync(join(unitDir, 'vz-watch.timer'), 'utf8'), /OnUnitActiveSec=30s/);
    t.match(readFileSync(join(unitDir, 'vz-watch.service'), 'utf8'), /^ExecStart="[^"]+" ".*vzmaster\.mjs" "watch" "--once" "--config" "[^"]+vzmaster\.json" "--lost-after" "3"$/m);
    for (const [args, pattern] of [
      [['watch', '--lost-after', '1'], /--lost-after 1: at least 2/],
      [['watch', '--install', 'nope'], /--install "nope": use cron or systemd/],
      [['watch', '--every', 'often'], /--every "often" is not a cron schedule/],
      [['watch', '--install', 'cron', '--dir', cronDir, '--every', '*/5 * * * * *'], /five fields/],
      [['watch', 'web'], /unexpected "web"/],
    ] as const) {
      const bad = await lab.run([...args]);
      t.equal(bad.exitCode, 1, `${args.join(' ')}: exit 1`);
      t.match(bad.stderr, pattern);
      t.equal(bad.stderr.trim().split('\n').length, 1, 'one line');
    }
  });
});

function rssOf(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
