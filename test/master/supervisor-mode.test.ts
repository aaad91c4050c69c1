// Supervisor mode on a lab host (inventory var vz_mode: supervisor): init keeps one `runch supervise` resident,
// which runs the apps; start, status, kill -9, vzmaster kill, start again, logs and deploy work there, next to an
// init-mode host driven by the same calls.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { parse, stringify } from 'yaml';
import { busyboxBundle, scratch } from '../helpers/fixtures.ts';
import { alivePids, startLab } from '../helpers/lab.ts';

const VZIMAGE = resolve(import.meta.dirname, '../../dist/vzimage.cjs');

function image(dir: string, name: string): string {
  const bundle = busyboxBundle(join(dir, name), { args: ['sh', '-c', `echo "${name} started"; exec sleep 1000`], env: ['PATH=/bin'] });
  const out = join(dir, `images-${name}`);
  execFileSync(VZIMAGE, ['pack', bundle, '-o', out, '--app', 'hello'], { stdio: 'ignore' });
  return join(out, readdirSync(out).find((f) => f.endsWith('.tar.gz'))!);
}

/** The lab's inventory with vz_mode set on one host, written beside the test's files (the lab's own stays as is). */
function inventoryWithMode(labInventory: string, host: string, file: string): string {
  const doc = parse(readFileSync(labInventory, 'utf8')) as { all: { children: Record<string, { hosts: Record<string, Record<string, unknown>> }> } };
  const vendor = Object.values(doc.all.children).find((g) => g.hosts[host]);
  vendor!.hosts[host].vz_mode = 'supervisor';
  writeFileSync(file, stringify(doc));
  return file;
}

/** The processes in a lab host's PID namespace (read from outside through /proc): pid as the host sees it, argv. */
function hostProcesses(initPid: number): { pid: number; cmd: string }[] {
  const ns = readlinkSync(`/proc/${initPid}/ns/pid`);
  const found: { pid: number; cmd: string }[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) !== ns || alivePids([Number(name)]).length === 0) continue;
      const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${name}/status`, 'utf8'))![1].trim().split(/\s+/).pop();
      found.push({ pid: Number(nspid), cmd: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim() });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

interface AppRow {
  id: string;
  state: string;
  pid?: number;
  bundle: string;
}

t.test('supervisor mode: one resident supervisor runs the app; kill -9, kill, start, logs, deploy', async (t) => {
  const dir = scratch(t);
  const v1 = image(dir, 'v1');
  const v2 = image(dir, 'v2');
  const lab = await startLab(t, { hosts: 2, busybox: 1 });
  const [sup, other] = lab.hosts();
  const flags = ['-i', inventoryWithMode(lab.inventory, sup.name, join(dir, 'inventory.yml')), '--config', join(lab.dir, 'vzmaster.json')];
  const run = (...args: string[]) => lab.run([...args, ...flags], 240_000);
  const statusOf = async () => {
    const result = await run('status', 'hello', '--json');
    const hosts = JSON.parse(result.stdout).hosts as { host: string; apps: AppRow[] }[];
    return (host: string) => hosts.find((h) => h.host === host)?.apps[0];
  };
  const waitFor = async (predicate: (app: (host: string) => AppRow | undefined) => boolean, ms = 30_000) => {
    const deadline = Date.now() + ms;
    let last = await statusOf();
    while (!predicate(last) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      last = await statusOf();
    }
    return last;
  };
  // What the host says when the app is not running: its status row and the tail of its log (the reason a restart failed).
  const hostSide = (host: typeof sup, row: AppRow | undefined) => {
    let log = '';
    try {
      log = readFileSync(`/proc/${host.initPid}/root/var/lib/vz/log/hello.log`, 'utf8').split('\n').slice(-15).join('\n');
    } catch (error) {
      log = String(error);
    }
    const read = (path: string) => {
      try {
        return readFileSync(path, 'utf8');
      } catch (error) {
        return String(error);
      }
    };
    const mountns = read(`/proc/${host.initPid}/root/run/runch/.mountns`).trim();
    const mounts = read(`/proc/${host.initPid}/mountinfo`).split('\n').filter((l) => l.includes('/var/lib/vz/bundles/'));
    return { diagnostic: true, row, log, mountns, mounts };
  };
  const vz = (host: typeof sup) => hostProcesses(host.initPid!).filter((p) => /runch/.test(p.cmd));
  const containers = (host: typeof sup) => hostProcesses(host.initPid!).filter((p) => p.cmd === 'sleep 1000');

  // A vz_mode that is no mode: one line before anything reaches a host.
  const badInventory = join(dir, 'bad.yml');
  writeFileSync(badInventory, readFileSync(flags[1], 'utf8').replace('vz_mode: supervisor', 'vz_mode: bogus'));
  const bad = await lab.run(['start', 'hello', '--image', v1, '-i', badInventory, '--config', join(lab.dir, 'vzmaster.json')]);
  t.equal(bad.exitCode, 1);
  t.match(bad.stderr, new RegExp(`^vzmaster: inventory .* host "${sup.name}" has vz_mode "bogus": use init or supervisor\n$`, 'm'));
  t.notOk(existsSync(`/proc/${sup.initPid}/root/var/lib/vz/bin/runch.cjs`), 'nothing was installed');

  const started = await run('start', 'hello', '--image', v1);
  t.equal(started.exitCode, 0, 'started: exit 0', { output: started.stderr + started.stdout });
  t.match(started.stdout, /summary: ok=0 changed=2 failed=0 unreachable=0/);
  let app = await waitFor((a) => a(sup.name)?.state === 'running' && a(other.name)?.state === 'running');
  t.equal(app(sup.name)?.state, 'running', 'running on the supervisor-mode host (status in the same round trip)');
  t.equal(app(other.name)?.state, 'running', 'and on the init-mode host');
  const vzProcs = vz(sup);
  t.equal(vzProcs.length, 1, `one vz process resident: ${JSON.stringify(vzProcs)}`);
  t.match(vzProcs[0]?.cmd, / supervise --table \/var\/lib\/vz\/table --log-dir \/var\/lib\/vz\/log$/, 'the supervisor, on vzmaster\'s table');
  t.same(vz(other), [], 'the init-mode host keeps no vz process');
  const etc = `/proc/${sup.initPid}/root/etc`;
  t.same(readdirSync(join(etc, 'inittab.d')).filter((f) => f.startsWith('vz-')), ['vz-vz-supervise.tab'], 'init holds one vz entry: the supervisor');
  t.equal(readFileSync(`/proc/${sup.initPid}/root/var/lib/vz/mode`, 'utf8'), 'supervisor\n');

  // kill -9 of the container: the supervisor (not init) starts it again.
  const before = app(sup.name)!.pid!;
  t.same(containers(sup).map((p) => p.pid), [before]);
  execFileSync('nsenter', ['-t', String(sup.initPid), '-p', '-m', '--', 'kill', '-9', String(before)]);
  app = await waitFor((a) => a(sup.name)?.state === 'running' && a(sup.name)?.pid !== before);
  t.not(app(sup.name)?.pid, before, 'restarted after kill -9');
  t.equal(app(sup.name)?.state, 'running', 'running', hostSide(sup, app(sup.name)));

  const killed = await run('kill', 'hello', '--limit', sup.name);
  t.equal(killed.exitCode, 0, 'killed: exit 0', { output: killed.stderr + killed.stdout });
  t.match(killed.stdout, /summary: ok=0 changed=1 /);
  t.equal((await statusOf())(sup.name)?.state, 'stopped', 'stopped when kill returns');
  await new Promise((r) => setTimeout(r, 3_000));
  t.equal((await statusOf())(sup.name)?.state, 'stopped', 'and stays stopped');
  t.same(containers(sup), [], 'no container process left');
  t.equal(vz(sup).length, 1, 'the supervisor stays');

  const again = await run('start', 'hello', '--image', v1);
  t.equal(again.exitCode, 0, 'again: exit 0', { output: again.stderr + again.stdout });
  t.match(again.stdout, /summary: ok=1 changed=1 /, 'changed where it was stopped, ok where it ran');
  app = await waitFor((a) => a(sup.name)?.state === 'running');
  t.equal(app(sup.name)?.state, 'running', 'running again', hostSide(sup, app(sup.name)));

  const logs = await run('logs', 'hello', '-n', '20');
  t.equal(logs.exitCode, 0, logs.stderr);
  t.match(logs.stdout, new RegExp(`${sup.name} \\| .*v1 started`), 'logs from the supervisor-mode host');

  // A deploy of a new version: the supervisor restarts the app on the new bundle.
  const manifest = join(dir, 'v2.yml');
  writeFileSync(manifest, `app: hello\nimage: ${v2}\nreplicas: 2\nrolling: { batch: 2, minUptime: 1, timeout: 60 }\n`);
  const deployed = await run('deploy', manifest);
  t.equal(deployed.exitCode, 0, 'deployed: exit 0', { output: deployed.stderr + deployed.stdout });
  app = await statusOf();
  t.equal(app(sup.name)?.bundle.split('/').pop()!.slice(0, 16), v2.split('/').pop()!.slice(0, 16), 'v2 runs on the supervisor-mode host');
  t.equal(app(sup.name)?.state, 'running', 'running', hostSide(sup, app(sup.name)));
  t.equal(containers(sup).length, 1, 'one container: the old one was stopped');
  t.equal(vz(sup).length, 1, 'still one vz process: the supervisor');
  t.same(vz(other), []);

  // vz_mode gone (the lab's own inventory): the next start moves the app back under init; the supervisor goes.
  const back = await lab.run(['start', 'hello', '--image', v2], 240_000);
  t.equal(back.exitCode, 0, 'back: exit 0', { output: back.stderr + back.stdout });
  t.match(back.stdout, /summary: ok=1 changed=1 /, 'changed on the host that switched mode only');
  app = await waitFor((a) => a(sup.name)?.state === 'running');
  t.equal(app(sup.name)?.state, 'running', 'running under init', hostSide(sup, app(sup.name)));
  t.same(vz(sup), [], 'no vz process resident any more');
  t.equal(containers(sup).length, 1, 'one container');
  t.equal(readFileSync(`/proc/${sup.initPid}/root/var/lib/vz/mode`, 'utf8'), 'init\n');
});

t.test('issue 10: restart and schedule reach the host: "no" runs once, on-failure:2 stops after two restarts, a schedule runs under the supervisor; init mode refuses what it cannot honour', async (t) => {
  const dir = scratch(t);
  const lab = await startLab(t, { hosts: 2, busybox: 1 });
  // This time the busybox host runs the supervisor and the sysvinit host is in init mode (sysvinit runs a "once"
  // entry added after boot; busybox init does not, so init mode refuses "no" there: test/host/contract.test.ts).
  const [other, sup] = lab.hosts();
  const flags = ['-i', inventoryWithMode(lab.inventory, sup.name, join(dir, 'inventory.yml')), '--config', join(lab.dir, 'vzmaster.json')];
  const run = (...args: string[]) => lab.run([...args, ...flags], 240_000);
  const imageOf = (name: string, script: string) => {
    const bundle = busyboxBundle(join(dir, name), { args: ['sh', '-c', script], env: ['PATH=/bin'] });
    execFileSync(VZIMAGE, ['pack', bundle, '-o', join(dir, `images-${name}`), '--app', name], { stdio: 'ignore' });
    return join(dir, `images-${name}`, readdirSync(join(dir, `images-${name}`)).find((f) => f.endsWith('.tar.gz'))!);
  };
  const count = async (app: string, host: string, text: string) => {
    const logs = await run('logs', app, '-n', '100', '--limit', host);
    return logs.stdout.split('\n').filter((l) => l.endsWith(text)).length;
  };
  const rows = async (app: string) => (JSON.parse((await run('status', app, '--json')).stdout).hosts as { host: string; apps: AppRow[] }[]);

  // restart "no": init runs it once (its "once" action), the supervisor does not restart it either.
  const once = await run('start', 'once', '--image', imageOf('once', 'echo "once ran"; exit 0'), '--restart', 'no');
  t.equal(once.exitCode, 0, once.stderr + once.stdout);
  // on-failure:2 on both: the supervisor-mode host runs it; the init-mode host refuses it, naming the fix.
  const fail = await run('start', 'fail', '--image', imageOf('fail', 'echo try; exit 3'), '--restart', 'on-failure:2');
  t.equal(fail.exitCode, 2, 'a host refused');
  t.match(fail.stdout, new RegExp(`${other.name}\\s+failed\\s+apply: restart "on-failure:2" needs supervisor mode .*set vz_mode: supervisor for this host`));
  t.match(fail.stdout, new RegExp(`${sup.name}\\s+changed`));
  const tick = await run('start', 'tick', '--image', imageOf('tick', 'echo tick'), '--schedule', '*/2 * * * * *');
  t.equal(tick.exitCode, 2);
  t.match(tick.stdout, new RegExp(`${other.name}\\s+failed\\s+apply: schedule "\\*/2 \\* \\* \\* \\* \\*" needs supervisor mode`));

  await new Promise((r) => setTimeout(r, 7_000));
  for (const host of [sup.name, other.name]) t.equal(await count('once', host, 'once ran'), 1, `${host}: "no" ran exactly once`);
  t.equal(await count('fail', sup.name, 'try'), 3, 'on-failure:2: the first run and two restarts, then no more');
  t.match((await rows('fail')).find((h) => h.host === sup.name)?.apps[0], { state: 'exited', restart: { policy: 'on-failure', max: 2 } });
  t.same((await rows('fail')).find((h) => h.host === other.name)?.apps, [], 'nothing of the refused app on the init-mode host');
  t.ok((await count('tick', sup.name, 'tick')) >= 2, 'the schedule ran (every 2 s) on the supervisor-mode host');
  t.match((await rows('tick')).find((h) => h.host === sup.name)?.apps[0], { wanted: 'cron', schedule: '*/2 * * * * *' });
  t.same((await rows('tick')).find((h) => h.host === other.name)?.apps, []);

  // A deploy whose placement includes an init-mode host is refused before anything runs, in one line.
  const manifest = join(dir, 'tick.yml');
  writeFileSync(manifest, `app: tock\nimage: ${imageOf('tock', 'echo tock')}\nreplicas: 2\nschedule: "*/5 * * * *"\n`);
  const refused = await run('deploy', manifest);
  t.equal(refused.exitCode, 1);
  t.match(refused.stderr, new RegExp(`^vzmaster: schedule "\\*/5 \\* \\* \\* \\*" needs supervisor mode, and ${other.name} runs in init mode: set vz_mode: supervisor for it in the inventory \\(or drop the field\\)\\n$`));
  t.same((await rows('tock')).flatMap((h) => h.apps), [], 'no host has it');
});
