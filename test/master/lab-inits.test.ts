import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { vzmaster } from '../helpers/lab.ts';

// issue 13: lab up's refusals of a bad --inits/--trees combination. A lab with a host of each init (PID 1 as on a
// VPS, its loss and return, a clean down) and every e2e scenario on it: test/master/mixed-lab.test.ts.

t.test('issue 13: a bad --inits/--trees combination is one line, and nothing is made', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'vz-lab-bad-'));
  t.teardown(() => rmSync(parent, { recursive: true, force: true }));
  const dir = join(parent, 'lab');
  const cases: [string[], RegExp][] = [
    [['--inits', 'sysvinit,upstart'], /^vzmaster: --inits: "upstart" is not an init: use sysvinit, busybox, systemd, openrc\n$/],
    [['--inits', 'sysvinit,systemd', '--hosts', '3'], /^vzmaster: --inits names 2 hosts but --hosts is 3: give one word per host\n$/],
    [['--inits', 'sysvinit,,systemd'], /has an empty entry/],
    [['--inits', 'systemd', '--busybox', '1'], /drop --busybox/],
    [['--inits', 'openrc', '--trees', 'bullseye'], /^vzmaster: host 1: openrc runs only on the machine's own \/ \(the bullseye-amd64 tree holds no busybox\)/],
    [['--hosts', '2', '--trees', 'machine,sid'], /^vzmaster: --trees: "sid" is not a tree: use machine, or RELEASE\[-ARCH\]/],
    [['--hosts', '1', '--release', 'bookworm', '--arch', 'arm64'], /^vzmaster: --release\/--arch: "bookworm-arm64" is not a tree/],
    [['--trees', 'machine', '--release', 'bullseye'], /drop --release\/--arch, or drop --trees/],
  ];
  for (const [flags, message] of cases) {
    const up = await vzmaster(['lab', 'up', '--dir', dir, ...flags], { scratchDir: parent });
    t.equal(up.exitCode, 1, `${flags.join(' ')}: exit 1`);
    t.match(up.stderr, message, `${flags.join(' ')}: ${up.stderr.trim()}`);
    t.equal(up.stderr.trim().split('\n').length, 1, 'one line');
    t.notOk(existsSync(dir), 'no lab dir made');
  }
});
