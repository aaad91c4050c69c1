// issue 13: deploy refuses on the master what a target init-mode host's init cannot honour, from the policy table the
// hosts refuse from (base/policy-table.ts): plain data here; test/master/mixed-lab.test.ts does it on live hosts.
import t from 'tap';
import { POLICY_TABLE } from '../../base/policy-table.ts';
import { parseRestartPolicy } from '../../base/restart-policy.ts';
import type { HostMode } from '../../master-cli/app/host-mode.ts';
import { restartOf } from '../../master-cli/app/ops.ts';
import { askedOf, initMatters, initRefusal } from '../../master-cli/deploy/init-check.ts';

const inits = new Map([
  ['s', 'sysvinit'],
  ['b', 'busybox'],
  ['d', 'systemd'],
  ['o', 'openrc'],
  ['x', 'unknown:runit'],
]);
const initMode = new Map<string, HostMode>();
const asked = (restart: string, schedule?: string) => askedOf(restartOf(restart, schedule), restart, schedule);

t.test('always and unless-stopped: every init honours them, no probe is needed', async (t) => {
  t.notOk(initMatters(asked('always')), 'always');
  t.notOk(initMatters(asked('unless-stopped')), 'unless-stopped');
  t.ok(initMatters(asked('on-failure:3')), 'on-failure: some init refuses it');
  t.ok(initMatters(asked('no')), 'no: busybox refuses it');
  t.ok(initMatters(asked('always', '*/5 * * * *')), 'a schedule');
  t.equal(initRefusal(['s', 'b', 'd', 'o'], initMode, inits, asked('always')), undefined);
});

t.test('on-failure: native on systemd, refused on sysvinit, busybox and OpenRC in init mode, naming host, field and fix', async (t) => {
  t.equal(initRefusal(['d'], initMode, inits, asked('on-failure:3')), undefined, 'systemd runs it (Restart=on-failure)');
  t.equal(
    initRefusal(['d', 'o'], initMode, inits, asked('on-failure:3')),
    'o: restart "on-failure:3" needs supervisor mode on OpenRC (supervise-daemon respawns on every exit, whatever its code): set vz_mode: supervisor for this host, or use restart: always',
  );
  t.equal(
    initRefusal(['s', 'd', 'b'], initMode, inits, asked('on-failure')),
    's: restart "on-failure" needs supervisor mode on a sysvinit init (it restarts on every exit, whatever its code): set vz_mode: supervisor for this host, or use restart: always (b too)',
    'the first refusing host in full, the others named',
  );
  t.equal(initRefusal(['s', 'b', 'o'], new Map<string, HostMode>([['s', 'supervisor'], ['b', 'supervisor'], ['o', 'supervisor']]), inits, asked('on-failure:3')), undefined, 'supervisor mode honours everything');
  t.equal(initRefusal(['x'], initMode, inits, asked('on-failure:3')), undefined, 'an init the table does not know: the host judges it when applying');
  t.equal(initRefusal(['s'], initMode, new Map(), asked('on-failure:3')), undefined, 'a host that did not answer the probe: likewise');
});

t.test('restart "no": busybox refuses it (once entries run at boot only), the others run it once', async (t) => {
  t.equal(initRefusal(['s', 'd', 'o'], initMode, inits, asked('no')), undefined);
  t.match(initRefusal(['s', 'b'], initMode, inits, asked('no')), /^b: restart "no" needs supervisor mode on a busybox init \(it runs "once" entries at boot only\): set vz_mode: supervisor for this host, or use restart: always$/);
});

t.test('a schedule: a timer on systemd; refused on sysvinit and busybox, before its restart is judged', async (t) => {
  t.equal(initRefusal(['d'], initMode, inits, asked('always', '0 3 * * *')), undefined, 'systemd: a timer');
  t.same(restartOf('always', '0 3 * * *'), parseRestartPolicy('no'), 'a scheduled always means no (run once per tick)');
  t.equal(
    initRefusal(['d', 's', 'b'], initMode, inits, asked('always', '0 3 * * *')),
    's: schedule "0 3 * * *" needs supervisor mode on a sysvinit init (it has no clock): set vz_mode: supervisor for this host, or drop the schedule (b too)',
  );
  // OpenRC: through the host's busybox crond when one runs there (mapped), which only the host can tell.
  const openrc = POLICY_TABLE.openrc.schedule.support;
  t.equal(initRefusal(['o'], initMode, inits, asked('always', '0 3 * * *')) === undefined, openrc !== 'refused', `OpenRC as the table says (${openrc})`);
});
