// issue 11: a foreign /etc/inittab.d/vz-backup.tab (no vz header) was deleted and its process stopped, as if vz's.
// Only files vz wrote and marks as its own are vz's.
import t from 'tap';
import { initEntrySchema } from '../../inittab-gen/entry.ts';
import { planApply, type Current } from '../../inittab-gen/plan.ts';

const launcher = { node: '/usr/local/bin/node', runch: '/opt/vz/runch.mjs' };
const entry = (id: string) => initEntrySchema.parse({ id, bundle: `/srv/${id}`, action: 'respawn' });
const FOREIGN = 'bk:2345:respawn:/usr/local/bin/backup --daily\n';
const current = (dir: Record<string, string>): Current => ({ inittab: 'id:2:initdefault:\n', dir: new Map(Object.entries(dir)) });

t.test('issue 11: a foreign vz-*.tab is neither deleted nor stopped, and its id is not taken', async (t) => {
  const plan = planApply('sysvinit-dir', [], current({ 'vz-backup.tab': FOREIGN }), launcher);
  t.same(plan.changes, [], 'nothing deleted');
  t.same(plan.stop, [], 'nothing stopped');
  t.throws(() => planApply('sysvinit-dir', [{ ...entry('web'), inittabId: 'bk' }], current({ 'vz-backup.tab': FOREIGN }), launcher), /already used by \/etc\/inittab\.d\/vz-backup\.tab line 1/, 'its inittab id is foreign');
  const web = planApply('sysvinit-dir', [entry('web')], current({ 'vz-backup.tab': FOREIGN }), launcher);
  t.same(web.changes.map((c) => c.path), ['/etc/inittab.d/vz-web.tab'], 'only vz\'s own file is written');
});

t.test('issue 11: an entry whose file name a foreign file holds is refused in one line, nothing applied', async (t) => {
  t.throws(() => planApply('sysvinit-dir', [entry('backup')], current({ 'vz-backup.tab': FOREIGN }), launcher), {
    message: /^entry "backup": \/etc\/inittab\.d\/vz-backup\.tab exists and vz did not write it .*rename that file or give the entry another id; nothing was applied$/,
  });
  // systemd and OpenRC name files the same way: the same rule.
  t.throws(() => planApply('systemd', [entry('backup')], current({ 'vz-backup.service': '[Service]\nExecStart=/bin/backup\n' }), launcher), /vz did not write it/);
  t.same(planApply('systemd', [], current({ 'vz-backup.service': '[Service]\nExecStart=/bin/backup\n' }), launcher).changes, [], 'a foreign unit is never deleted');
});

t.test('vz\'s own files are still vz\'s: removal deletes them and stops their process', async (t) => {
  const first = planApply('sysvinit-dir', [entry('web')], current({}), launcher);
  const applied = current({ 'vz-web.tab': first.changes[0].after! });
  const removed = planApply('sysvinit-dir', [], applied, launcher);
  t.same(removed.changes.map((c) => [c.path, c.after]), [['/etc/inittab.d/vz-web.tab', undefined]]);
  t.same(removed.stop, ['web']);
});
