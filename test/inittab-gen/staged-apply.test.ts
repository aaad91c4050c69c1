// issue 11: `runch init apply` on a disk that fills midway left vz-n1.tab written, and init later started it. Every
// file is now staged beside its target first, then all are renamed in place, or none is.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { busyboxBundle, scratch } from '../helpers/fixtures.ts';
import { startInit } from '../helpers/init-ns.ts';

t.test('issue 11: sysvinit, an /etc/inittab.d that fills midway: nothing written, init starts nothing', async (t) => {
  const ns = await startInit(t, 'sysvinit', 'id:2:initdefault:\nsi::sysinit:/bin/true\n');
  const dir = scratch(t);
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['sh', '-c', 'exec sleep 1000'] });
  const table = join(ns.etc, 'vz/table');
  const tabs = () => readdirSync(join(ns.etc, 'inittab.d')).sort();

  // One entry in place first: the failed apply must leave it exactly as it was.
  mkdirSync(join(ns.etc, 'vz'), { recursive: true });
  writeFileSync(table, `n0:respawn:${bundle}\n`);
  const first = await ns.runch(['init', 'apply']);
  t.equal(first.exitCode, 0, first.stderr);
  t.same(tabs(), ['vz-n0.tab']);
  const n0 = readFileSync(join(ns.etc, 'inittab.d/vz-n0.tab'), 'utf8');

  // The directory becomes a tmpfs with room for one more file (inodes: its root, vz-n0.tab, one more).
  const mounted = await ns.exec(['sh', '-c', 'cp /etc/inittab.d/vz-n0.tab /tmp/n0 && mount -t tmpfs -o nr_inodes=3,size=1m tmpfs /etc/inittab.d && cp /tmp/n0 /etc/inittab.d/vz-n0.tab']);
  t.equal(mounted.exitCode, 0, mounted.stderr);
  const inside = async () => (await ns.exec(['ls', '-a', '/etc/inittab.d'])).stdout.split('\n').filter((n) => n && n !== '.' && n !== '..').sort();
  t.same(await inside(), ['vz-n0.tab']);

  // n0 changes (stop timeout), n1..n3 are new: n0 is first taken out (sysvinit: never two instances), then three new files, room for one.
  writeFileSync(table, `n0:respawn:${bundle}:stop-timeout=3s\nn1:respawn:${bundle}\nn2:respawn:${bundle}\nn3:respawn:${bundle}\n`);
  const full = await ns.runch(['init', 'apply']);
  t.equal(full.exitCode, 1, 'the apply fails');
  t.match(full.stderr, /no space left on the device.*nothing was changed/);
  t.same(await inside(), ['vz-n0.tab'], 'no new file, no staged file left over');
  t.equal((await ns.exec(['cat', '/etc/inittab.d/vz-n0.tab'])).stdout, n0, 'the existing file unchanged');
  await ns.reload();
  await new Promise((r) => setTimeout(r, 1_000));
  const status = await ns.runch(['init', 'status', '--json']);
  t.equal(status.exitCode, 0, status.stderr);
  const running = (JSON.parse(status.stdout) as { id: string; state: string }[]).filter((r) => r.state === 'running').map((r) => r.id);
  t.notOk(running.some((id) => id !== 'n0'), `init started none of the new entries (running: ${running.join(', ')})`);
});
