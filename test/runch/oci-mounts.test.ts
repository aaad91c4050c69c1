import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { mountPlan, renderFstab } from '../../runch/container/mounts.ts';
import { busyboxBundle, busyboxRootfs, mountsBelow, runch, scratch, writeConfig } from '../helpers/fixtures.ts';

/** Issue 11: mounts exactly as config.json lists them (a tmpfs /dev with the default devices), process optional at create. */

const MODES = [
  { name: 'own mount namespace', env: { RUNCH_MOUNT_NS: 'yes' } },
  { name: 'no mount namespace (mounts on the host)', env: { RUNCH_MOUNT_NS: 'no' } },
];

const hasRunc = await execa('runc', ['--version'], { reject: false }).then((r) => r.exitCode === 0, () => false);

/** A busybox bundle whose mounts, root and everything else are what `runc spec` writes; only the program is ours. */
async function runcSpecBundle(dir: string, args: string[]): Promise<string> {
  busyboxRootfs(join(dir, 'rootfs'));
  for (const applet of ['stat', 'readlink', 'sed']) symlinkSync('busybox', join(dir, 'rootfs/bin', applet));
  await execa('runc', ['spec'], { cwd: dir });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  config.process = { ...config.process, args, terminal: false, env: ['PATH=/bin'] };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}

const INSIDE = [
  'stat -f -c "dev-fs=%T" /dev',
  'grep " /dev " /proc/mounts | cut -d" " -f3 | sed s/^/dev-mount=/',
  'grep " /dev/pts " /proc/mounts | cut -d" " -f3 | sed s/^/pts-mount=/',
  'echo x > /dev/null && echo null-ok',
  'test -c /dev/null && test -c /dev/zero && test -c /dev/urandom && test -c /dev/tty && echo nodes-ok',
  'echo "ptmx=$(readlink /dev/ptmx)"',
  'echo "fd=$(readlink /dev/fd) stdout=$(readlink /dev/stdout)"',
  'head -c 4 /dev/zero | wc -c | sed s/^/zero-bytes=/',
].join('; ');

t.test('issue 11: the mount plan is data: stages of mount -a, files made between them, links last', async (t) => {
  const mount = (target: string, type: string, more: { targetIsFile?: boolean; pointInside?: boolean } = {}) => ({
    source: type === 'none' ? `/host${target}` : type,
    target: `/r${target}`,
    destination: target,
    type,
    options: type === 'none' ? ['bind'] : [],
    targetIsFile: more.targetIsFile ?? false,
    pointInside: more.pointInside ?? false,
  });
  const runcLike = [
    mount('/dev', 'tmpfs'),
    mount('/dev/pts', 'devpts', { pointInside: true }),
    mount('/dev/null', 'none', { targetIsFile: true, pointInside: true }),
    mount('/dev/zero', 'none', { targetIsFile: true, pointInside: true }),
  ];
  const plan = mountPlan(false, runcLike, [{ path: '/r/dev/ptmx', target: 'pts/ptmx' }]);
  t.same(plan.stages, [1, 1, 2, 2], 'the device binds wait for the tmpfs they sit in');
  t.same(plan.steps, [{ stage: 1 }, { file: '/r/dev/null' }, { file: '/r/dev/zero' }, { stage: 2 }, { link: '/r/dev/ptmx', target: 'pts/ptmx' }]);
  t.same(
    renderFstab('/r', true, runcLike).split('\n'),
    [
      '/r /r none bind,ro,X-runch.s1 0 0',
      'tmpfs /r/dev tmpfs X-mount.mkdir,X-runch.s1 0 0',
      'devpts /r/dev/pts devpts X-mount.mkdir,X-runch.s1 0 0',
      '/host/dev/null /r/dev/null none bind,X-runch.s2 0 0',
      '/host/dev/zero /r/dev/zero none bind,X-runch.s2 0 0',
      '',
    ],
  );
  const flat = [mount('/proc', 'proc'), mount('/tmp', 'tmpfs'), mount('/etc/resolv.conf', 'none', { targetIsFile: true })];
  t.same(mountPlan(false, flat, []).steps, [{ stage: 1 }], 'the default set: one mount -a');
});

for (const mode of MODES) {
  t.test(`issue 11: runc spec's mounts as listed, ${mode.name}: /dev is a tmpfs with the default devices`, { skip: hasRunc || process.env.VZ_CI ? false : 'runc is not installed (apt-get install runc)' }, async (t) => {
    const dir = scratch(t);
    const bundle = await runcSpecBundle(join(dir, 'b'), ['sh', '-c', INSIDE]);
    const ran = await runch(join(dir, 'root'), ['run', '--bundle', bundle, 'm1'], { env: mode.env });
    t.equal(ran.exitCode, 0, ran.stderr);
    const lines = ran.stdout.split('\n');
    for (const want of ['dev-fs=tmpfs', 'dev-mount=tmpfs', 'pts-mount=devpts', 'null-ok', 'nodes-ok', 'ptmx=pts/ptmx', 'fd=/proc/self/fd stdout=/proc/self/fd/1', 'zero-bytes=4'])
      t.ok(lines.includes(want), `${want} (got: ${ran.stdout})`);
    t.notMatch(ran.stdout, /devtmpfs \/dev /, 'not the host\'s devtmpfs on /dev');
    t.same(await mountsBelow(bundle), [], 'nothing stays mounted below the bundle');
    t.notOk(existsSync(join(bundle, 'rootfs/dev/null')), 'no device placeholder written into the rootfs on disk');
  });

  t.test(`issue 11: mounts in the listed order, ${mode.name}: a tmpfs on /data, then binds into it`, async (t) => {
    const dir = scratch(t);
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    writeFileSync(join(shared, 'hello'), 'from-dir\n');
    writeFileSync(join(dir, 'one-file'), 'from-file\n');
    const bundle = busyboxBundle(join(dir, 'b'), {
      args: ['sh', '-c', 'grep " /data " /proc/mounts | cut -d" " -f3; cat /data/x/hello /data/sub/f; touch /data/scratch && echo tmpfs-writable'],
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc' },
        // fstab's noauto and runch's own stage option, which would make mount -a skip the line: listed is mounted
        { destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['mode=0755', 'noauto', 'X-runch.s9'] },
        { destination: '/data/x', type: 'bind', source: shared, options: ['rbind', 'ro'] },
        { destination: '/data/sub/f', type: 'bind', source: join(dir, 'one-file'), options: ['bind', 'ro'] },
      ],
    });
    const ran = await runch(join(dir, 'root'), ['run', '--bundle', bundle, 'o1'], { env: mode.env });
    t.equal(ran.exitCode, 0, ran.stderr);
    t.equal(ran.stdout, 'tmpfs\nfrom-dir\nfrom-file\ntmpfs-writable');
    t.same(await mountsBelow(bundle), [], 'nothing stays mounted below the bundle');
    t.notOk(existsSync(join(bundle, 'rootfs/data/x')), 'mount points inside the tmpfs are made there, not in the rootfs');
    t.notOk(existsSync(join(bundle, 'rootfs/data/sub')));
    t.notOk(existsSync(join(shared, 'scratch')), 'the tmpfs, not the bind, took the write');
  });

  t.test(`issue 11: a mount point that cannot be made inside an earlier mount, ${mode.name}: one line, nothing left`, async (t) => {
    const dir = scratch(t);
    const root = join(dir, 'root');
    writeFileSync(join(dir, 'one-file'), 'x\n');
    const bundle = busyboxBundle(join(dir, 'b'), {
      args: ['true'],
      mounts: [
        { destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['ro'] },
        { destination: '/data/f', type: 'bind', source: join(dir, 'one-file'), options: ['bind'] },
      ],
    });
    const ran = await runch(root, ['run', '--bundle', bundle, 'f1'], { env: mode.env });
    t.equal(ran.exitCode, 1);
    t.match(ran.stderr, /^runch: create f1: mounting failed: .*\/data\/f.*(Read-only|read-only)/);
    t.equal(ran.stderr.split('\n').length, 1, 'one line');
    t.same(await mountsBelow(bundle), [], 'the tmpfs mounted before the failure is gone');
    t.notOk(existsSync(join(root, 'f1')), 'no state left');
  });
}

t.test('issue 11: a mount inside an earlier bind that passes through a symlink there is refused (it would land on the host)', async (t) => {
  const dir = scratch(t);
  const shared = join(dir, 'shared');
  const outside = join(dir, 'outside');
  mkdirSync(shared);
  mkdirSync(outside);
  symlinkSync(outside, join(shared, 'link'));
  const bundle = busyboxBundle(join(dir, 'b'), {
    args: ['true'],
    mounts: [
      { destination: '/data', type: 'bind', source: shared, options: ['rbind'] },
      { destination: '/data/link/cache', type: 'tmpfs', source: 'tmpfs' },
    ],
  });
  const ran = await runch(join(dir, 'root'), ['run', '--bundle', bundle, 's1'], { env: { RUNCH_MOUNT_NS: 'no' } });
  t.equal(ran.exitCode, 1);
  t.match(ran.stderr, /^runch: .*mounts\[1\]\.destination "\/data\/link\/cache" passes through the symlink .*\/shared\/link in the bind mounted at "\/data"/);
  t.same(await mountsBelow(outside), [], 'nothing mounted where the link points');
  t.same(await mountsBelow(bundle), []);
});

t.test('issue 11: no mounts listed: the default set (the host\'s devtmpfs on /dev, untouched)', async (t) => {
  const dir = scratch(t);
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['sh', '-c', 'grep " /dev " /proc/mounts | cut -d" " -f3; test -c /dev/ptmx && echo ptmx-node'] });
  const ran = await runch(join(dir, 'root'), ['run', '--bundle', bundle, 'd1']);
  t.equal(ran.exitCode, 0, ran.stderr);
  t.equal(ran.stdout, 'devtmpfs\nptmx-node');
  t.same(await mountsBelow(bundle), []);
});

async function waitStopped(root: string, id: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const state = await runch(root, ['state', id]);
    const status = JSON.parse(state.stdout || '{}').status;
    if (status === 'stopped') return status;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return 'not stopped after 5 s';
}

t.test('issue 11: process is optional at create; start needs it', async (t) => {
  const dir = scratch(t);
  const root = join(dir, 'root');
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['sh', '-c', 'echo $$ > /ran-as; echo "$GREETING" > /greeting'], env: ['PATH=/bin', "GREETING=it's me"] });
  const full = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  const { process: _process, ...withoutProcess } = full;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(withoutProcess));

  const ran = await runch(root, ['run', '--bundle', bundle, 'r1']);
  t.equal(ran.exitCode, 1, 'run needs a process at once');
  t.match(ran.stderr, /^runch: .*process: is missing.*add "process"/);
  t.notOk(existsSync(join(root, 'r1')), 'run left nothing');

  const created = await runch(root, ['create', '--bundle', bundle, 'p1']);
  t.teardown(() => runch(root, ['delete', '--force', 'p1']));
  t.equal(created.exitCode, 0, created.stderr);
  const state = JSON.parse((await runch(root, ['state', 'p1'])).stdout);
  t.equal(state.status, 'created');
  t.ok(state.pid > 0 && existsSync(`/proc/${state.pid}`), 'a waiting process');

  const refused = await runch(root, ['start', 'p1']);
  t.equal(refused.exitCode, 1);
  t.equal(refused.stderr.split('\n').length, 1, 'one line');
  t.match(refused.stderr, /container "p1" has no program to run: config\.json of .* has no "process"; add it .*then run "runch start p1" again/);
  const after = JSON.parse((await runch(root, ['state', 'p1'])).stdout);
  t.same([after.status, after.pid], ['created', state.pid], 'the container is as it was');

  writeConfig(bundle, { args: ['sh', '-c', 'echo $$ > /ran-as; echo "$GREETING" > /greeting'], env: ['PATH=/bin', "GREETING=it's me"] });
  const started = await runch(root, ['start', 'p1']);
  t.equal(started.exitCode, 0, started.stderr);
  t.equal(await waitStopped(root, 'p1'), 'stopped');
  t.equal(readFileSync(join(bundle, 'rootfs/ran-as'), 'utf8').trim(), String(state.pid), 'the program kept the pid of create');
  t.equal(readFileSync(join(bundle, 'rootfs/greeting'), 'utf8'), "it's me\n", 'with the env start read');
  const deleted = await runch(root, ['delete', 'p1']);
  t.equal(deleted.exitCode, 0, deleted.stderr);
  t.same(await mountsBelow(bundle), []);
});

t.test('issue 11: a process given at start is checked there, naming its field; the container stays created', async (t) => {
  const dir = scratch(t);
  const root = join(dir, 'root');
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['true'] });
  const { process: _process, ...withoutProcess } = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(withoutProcess));
  const created = await runch(root, ['create', '--bundle', bundle, 'q1']);
  t.teardown(() => runch(root, ['delete', '--force', 'q1']));
  t.equal(created.exitCode, 0, created.stderr);
  writeConfig(bundle, { args: ['no-such-program'] });
  const bad = await runch(root, ['start', 'q1']);
  t.equal(bad.exitCode, 1);
  t.match(bad.stderr, /process\.args\[0\] "no-such-program" is not an executable file/);
  t.equal(JSON.parse((await runch(root, ['state', 'q1'])).stdout).status, 'created');
});

t.test('issue 11: a process given at start as a non-root user can reopen its /dev/stdout', async (t) => {
  const dir = scratch(t);
  const root = join(dir, 'root');
  const program = { args: ['sh', '-c', 'echo out > /dev/stdout && echo reopened > /out/result'], user: { uid: 65534, gid: 65534 } };
  const bundle = busyboxBundle(join(dir, 'b'), program);
  mkdirSync(join(bundle, 'rootfs/out'));
  chmodSync(join(bundle, 'rootfs/out'), 0o777);
  const { process: _process, ...withoutProcess } = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(withoutProcess));
  const created = await runch(root, ['create', '--bundle', bundle, 'u1']);
  t.teardown(() => runch(root, ['delete', '--force', 'u1']));
  t.equal(created.exitCode, 0, created.stderr);
  writeConfig(bundle, program);
  const started = await runch(root, ['start', 'u1']);
  t.equal(started.exitCode, 0, started.stderr);
  t.equal(await waitStopped(root, 'u1'), 'stopped');
  t.equal(readFileSync(join(bundle, 'rootfs/out/result'), 'utf8'), 'reopened\n');
});
