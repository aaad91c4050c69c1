// issue 13: init mode on a live systemd and a live OpenRC host, through vzmaster: start, kill -9 respawned by the
// init itself, `vzmaster stop` stays stopped across a reload and a host restart, a running app comes back after one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { scratch } from '../helpers/fixtures.ts';
import { startLab, type LabHostInfo, sshRun, busyboxImage } from '../helpers/lab.ts';

const image = busyboxImage;


interface AppRow {
  id: string;
  state: string;
  pid?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('issue 13: init mode on systemd and OpenRC: start, kill -9, stop across reload and host restart', async (t) => {
  const dir = scratch(t);
  const hello = image(dir, 'hello', 'echo "hello started"; exec sleep 1000');
  const lab = await startLab(t, { inits: ['systemd', 'openrc'] });
  const hosts = lab.hosts();
  const [systemd, openrc] = hosts;
  const run = (...args: string[]) => lab.run(args, 240_000);
  const rowsOf = async (): Promise<Map<string, AppRow | undefined>> => {
    const result = await run('status', 'hello', '--json');
    const parsed = JSON.parse(result.stdout) as { hosts: { host: string; apps: AppRow[] }[] };
    return new Map(parsed.hosts.map((h) => [h.host, h.apps[0]]));
  };
  const waitFor = async (predicate: (rows: Map<string, AppRow | undefined>) => boolean, ms = 30_000) => {
    const deadline = Date.now() + ms;
    let rows = await rowsOf();
    while (!predicate(rows) && Date.now() < deadline) {
      await sleep(500);
      rows = await rowsOf();
    }
    return rows;
  };
  const states = (rows: Map<string, AppRow | undefined>) => hosts.map((h) => `${h.name}:${rows.get(h.name)?.state}`).join(' ');
  const manager = async (host: LabHostInfo) =>
    (await sshRun(lab, host, host.init === 'systemd' ? 'systemctl show -p ActiveState,UnitFileState vz-hello.service; ls /etc/systemd/system/multi-user.target.wants' : 'rc-service vz-hello status; rc-update show default')).stdout;

  const started = await run('start', 'hello', '--image', hello);
  t.equal(started.exitCode, 0, `start: ${started.stdout}${started.stderr}`);
  let rows = await waitFor((r) => hosts.every((h) => r.get(h.name)?.state === 'running'));
  t.ok(hosts.every((h) => rows.get(h.name)?.state === 'running'), `running on both: ${states(rows)}`);
  t.match(await manager(systemd), /ActiveState=active\nUnitFileState=enabled/, 'systemd runs vz-hello.service, enabled');
  t.match(await manager(openrc), /status: started[\s\S]*vz-hello \| default/, 'OpenRC runs vz-hello, in the default runlevel');
  t.match(readFileSync(`/proc/${systemd.initPid}/root/var/lib/vz/log/hello.log`, 'utf8'), /hello started/, 'the app writes to vz\'s log file');

  // kill -9: the init's own supervision (systemd Restart=, supervise-daemon) starts it again.
  for (const host of hosts) {
    const before = rows.get(host.name)!.pid!;
    t.equal((await sshRun(lab, host, `kill -9 ${before}`)).exitCode, 0);
    rows = await waitFor((r) => r.get(host.name)?.state === 'running' && r.get(host.name)?.pid !== before);
    t.ok(rows.get(host.name)?.state === 'running' && rows.get(host.name)?.pid !== before, `${host.name} (${host.init}): respawned after kill -9 (${before} -> ${rows.get(host.name)?.pid})`);
  }

  const stopped = await run('stop', 'hello');
  t.equal(stopped.exitCode, 0, `stop: ${stopped.stdout}${stopped.stderr}`);
  rows = await waitFor((r) => hosts.every((h) => r.get(h.name)?.state === 'stopped'));
  t.ok(hosts.every((h) => rows.get(h.name)?.state === 'stopped'), `stopped on both: ${states(rows)}`);
  // A reload of the init re-reads everything: a stopped app stays stopped.
  t.equal((await sshRun(lab, systemd, 'systemctl daemon-reload')).exitCode, 0);
  t.equal((await sshRun(lab, openrc, 'openrc default')).exitCode, 0);
  await sleep(2_000);
  rows = await rowsOf();
  t.ok(hosts.every((h) => rows.get(h.name)?.state === 'stopped'), `still stopped after daemon-reload / openrc default: ${states(rows)}`);

  // A host restart: stopped stays stopped; started comes back.
  for (const host of hosts) {
    t.equal((await lab.run(['lab', 'stop-host', host.name])).exitCode, 0);
    const back = await lab.run(['lab', 'start-host', host.name]);
    t.equal(back.exitCode, 0, back.stderr);
  }
  await sleep(3_000);
  rows = await rowsOf();
  t.ok(hosts.every((h) => rows.get(h.name)?.state !== 'running'), `still stopped after a host restart: ${states(rows)}`);

  const again = await run('start', 'hello', '--image', hello);
  t.equal(again.exitCode, 0, `start again: ${again.stdout}${again.stderr}`);
  rows = await waitFor((r) => hosts.every((h) => r.get(h.name)?.state === 'running'));
  t.ok(hosts.every((h) => rows.get(h.name)?.state === 'running'), `running again: ${states(rows)}`);
  for (const host of hosts) {
    t.equal((await lab.run(['lab', 'stop-host', host.name])).exitCode, 0);
    t.equal((await lab.run(['lab', 'start-host', host.name])).exitCode, 0);
  }
  rows = await waitFor((r) => hosts.every((h) => r.get(h.name)?.state === 'running'), 40_000);
  t.ok(hosts.every((h) => rows.get(h.name)?.state === 'running'), `a started app comes back after a host restart: ${states(rows)}`);
});
