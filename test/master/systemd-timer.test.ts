// issue 13: a `schedule` in init mode on a live systemd host is a systemd timer: it fires on the cron schedule, and
// a run still going is not started again (no overlap).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { parse, stringify } from 'yaml';
import { busyboxBundle, execToFiles, scratch } from '../helpers/fixtures.ts';
import { startLab } from '../helpers/lab.ts';

const VZIMAGE = resolve(import.meta.dirname, '../../dist/vzimage.cjs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('issue 13: systemd: a schedule is a timer that fires, never two runs at once', async (t) => {
  const dir = scratch(t);
  // Each run takes 5 s; the schedule fires every 2 s.
  const bundle = busyboxBundle(join(dir, 'tick'), { args: ['sh', '-c', 'echo "begin $(date +%s)"; sleep 5; echo "end $(date +%s)"'], env: ['PATH=/bin'] });
  execFileSync(VZIMAGE, ['pack', bundle, '-o', join(dir, 'img'), '--app', 'tick'], { stdio: 'ignore' });
  const image = join(dir, 'img', readdirSync(join(dir, 'img')).find((f) => f.endsWith('.tar.gz'))!);
  // A second host in supervisor mode, so the master leaves the schedule to each host to judge.
  const lab = await startLab(t, { inits: ['systemd', 'sysvinit'] });
  const [systemd, other] = lab.hosts();
  const doc = parse(readFileSync(lab.inventory, 'utf8')) as { all: { children: Record<string, { hosts: Record<string, Record<string, unknown>> }> } };
  for (const group of Object.values(doc.all.children)) if (group.hosts[other.name]) group.hosts[other.name].vz_mode = 'supervisor';
  const inventory = join(dir, 'inventory.yml');
  writeFileSync(inventory, stringify(doc));
  const started = await lab.run(['start', 'tick', '--image', image, '--schedule', '*/2 * * * * *', '--limit', systemd.name, '-i', inventory, '--config', join(lab.dir, 'vzmaster.json')], 240_000);
  t.equal(started.exitCode, 0, `start: ${started.stdout}${started.stderr}`);
  const ssh = (command: string) => execToFiles('ssh', ['-i', join(lab.dir, 'ssh', 'id_ed25519'), '-p', String(systemd.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `root@${systemd.address}`, command], { dir, timeout: 30_000 });
  const timer = await ssh('systemctl show -p ActiveState,UnitFileState vz-tick.timer; systemctl show -p UnitFileState vz-tick.service');
  t.same(timer.stdout.trim().split('\n'), ['ActiveState=active', 'UnitFileState=enabled', 'UnitFileState=static'], 'the timer is enabled and waiting; the service only it starts');
  await sleep(16_000);
  const lines = readFileSync(`/proc/${systemd.initPid}/root/var/lib/vz/log/tick.log`, 'utf8').split('\n').filter((l) => /^(begin|end) \d+$/.test(l));
  const begins = lines.filter((l) => l.startsWith('begin')).length;
  t.ok(begins >= 2, `the timer fired (${begins} runs in 16 s)`);
  t.ok(begins <= 4, `runs of 5 s every 2 s never overlap: at most 4 in 16 s (${begins})`);
  // Strictly alternating begin/end: a run begins only after the previous one ended.
  const kinds = lines.map((l) => l.split(' ')[0]);
  t.ok(kinds.every((k, i) => k === (i % 2 === 0 ? 'begin' : 'end')), `begin and end alternate: ${kinds.join(' ')}`);

  const stopped = await lab.run(['stop', 'tick', '--limit', systemd.name, '-i', inventory, '--config', join(lab.dir, 'vzmaster.json')], 240_000);
  t.equal(stopped.exitCode, 0, stopped.stderr);
  const gone = await ssh('systemctl is-active vz-tick.timer vz-tick.service; ls /etc/systemd/system | grep -c "^vz-tick"');
  t.same(gone.stdout.trim().split('\n').slice(-1), ['0'], 'stop removes the timer and its service');
});
