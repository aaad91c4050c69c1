// Supervisor mode's restart policies and schedules on a lab host (inventory var vz_mode: supervisor), beside an
// init-mode host driven by the same calls. Supervisor mode itself (start, kill -9, kill, a host restart, logs, a
// deploy, the switch there and back) on sysvinit, systemd and OpenRC hosts: test/master/mixed-lab.test.ts.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { parse, stringify } from 'yaml';
import { busyboxBundle, scratch } from '../helpers/fixtures.ts';
import { startLab } from '../helpers/lab.ts';

const VZIMAGE = resolve(import.meta.dirname, '../../dist/vzimage.cjs');

/** The lab's inventory with vz_mode set on one host, written beside the test's files (the lab's own stays as is). */
function inventoryWithMode(labInventory: string, host: string, file: string): string {
  const doc = parse(readFileSync(labInventory, 'utf8')) as { all: { children: Record<string, { hosts: Record<string, Record<string, unknown>> }> } };
  const vendor = Object.values(doc.all.children).find((g) => g.hosts[host]);
  vendor!.hosts[host].vz_mode = 'supervisor';
  writeFileSync(file, stringify(doc));
  return file;
}

interface AppRow {
  id: string;
  state: string;
  pid?: number;
  bundle: string;
}

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

  // A deploy whose placement includes an init-mode host that cannot honour it is refused before anything runs, in
  // one line naming the host (issue 13: from the policy table; test/master/mixed-lab.test.ts has every init).
  const manifest = join(dir, 'tick.yml');
  writeFileSync(manifest, `app: tock\nimage: ${imageOf('tock', 'echo tock')}\nreplicas: 2\nschedule: "*/5 * * * *"\n`);
  const refused = await run('deploy', manifest);
  t.equal(refused.exitCode, 1);
  t.match(refused.stderr, new RegExp(`^vzmaster: ${other.name}: schedule "\\*/5 \\* \\* \\* \\*" needs supervisor mode on a sysvinit init \\(it has no clock\\): set vz_mode: supervisor for this host, or drop the schedule\\n$`));
  t.same((await rows('tock')).flatMap((h) => h.apps), [], 'no host has it');
});
