import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { busyboxBundle, busyboxRootfs, mountsBelow, runch, scratch, writeConfig } from '../helpers/fixtures.ts';

/** Issue 11: what the OCI runtime spec requires and runch got wrong, and hostile config.json files. */

t.test('root.path "." (the bundle itself is the rootfs) runs', async (t) => {
  const dir = scratch(t);
  const bundle = join(dir, 'b');
  busyboxRootfs(bundle);
  writeConfig(bundle, { args: ['sh', '-c', 'ls /config.json && echo from-dot'] });
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ...config, root: { path: '.' } }));
  const ran = await runch(join(dir, 'root'), ['run', '--bundle', bundle, 'dot1']);
  t.equal(ran.exitCode, 0, ran.stderr);
  t.equal(ran.stdout.trim(), '/config.json\nfrom-dot');
  // still refused: a root outside the bundle
  writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ...config, root: { path: '..' } }));
  const out = await runch(join(dir, 'root'), ['run', '--bundle', bundle, 'dot2']);
  t.equal(out.exitCode, 1);
  t.match(out.stderr, /root\.path "\.\." is outside the bundle/);
});

t.test('--pid-file holds the bare pid, without a newline, as runc writes it', async (t) => {
  const dir = scratch(t);
  const root = join(dir, 'root');
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['sleep', '1000'] });
  const created = await runch(root, ['create', '--bundle', bundle, '--pid-file', join(dir, 'pid'), 'p1']);
  t.teardown(() => runch(root, ['delete', '--force', 'p1']));
  t.equal(created.exitCode, 0, created.stderr);
  const state = JSON.parse((await runch(root, ['state', 'p1'])).stdout);
  t.equal(readFileSync(join(dir, 'pid'), 'utf8'), String(state.pid));
});

t.test('a failing poststart or poststop hook is a warning; the hooks after it and the lifecycle go on', async (t) => {
  const dir = scratch(t);
  const log = join(dir, 'hooks.log');
  const hook = (word: string, code = 0) => ({ path: '/bin/sh', args: ['sh', '-c', `echo ${word} >> ${log}; exit ${code}`] });
  const bundle = busyboxBundle(join(dir, 'b'), {
    args: ['true'],
    hooks: { poststart: [hook('start-1', 3), hook('start-2')], poststop: [hook('stop-1', 4), hook('stop-2')] },
  });
  const ran = await runch(join(dir, 'root'), ['run', '--bundle', bundle, 'h1']);
  t.equal(ran.exitCode, 0, ran.stderr);
  t.match(ran.stderr, /warning: poststart hook \/bin\/sh failed/);
  t.match(ran.stderr, /warning: poststop hook \/bin\/sh failed/);
  t.same(readFileSync(log, 'utf8').trim().split('\n'), ['start-1', 'start-2', 'stop-1', 'stop-2'], 'every hook ran, in order');
  t.same(readdirSync(join(dir, 'root')).filter((n) => !n.startsWith('.')), [], 'the container was deleted');
});

t.test('capabilities: unknown names refused, naming the field; known sets reported once as ignored', async (t) => {
  const dir = scratch(t);
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['true'], extra: {} });
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  const withCaps = (caps: Record<string, string[]>) => writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ...config, process: { ...config.process, capabilities: caps } }));
  withCaps({ bounding: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'], effective: ['CAP_KILL'] });
  const ok = await runch(join(dir, 'root'), ['run', '--bundle', bundle, 'c1']);
  t.equal(ok.exitCode, 0, ok.stderr);
  t.match(ok.stderr, /process\.capabilities/, 'named as ignored');
  withCaps({ bounding: ['CAP_NET_BIND_SERVICE', 'CAP_NET_BIND_SERVCE'] });
  const bad = await runch(join(dir, 'root'), ['run', '--bundle', bundle, 'c2']);
  t.equal(bad.exitCode, 1);
  t.match(bad.stderr, /config\.json: process\.capabilities\.bounding\[1\]: is no Linux capability.*"CAP_NET_BIND_SERVCE"/);
});

t.test('oomScoreAdj is honoured: the program sees it in /proc/self/oom_score_adj', async (t) => {
  const dir = scratch(t);
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['cat', '/proc/self/oom_score_adj'], extra: {} });
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ...config, process: { ...config.process, oomScoreAdj: 500 } }));
  const ran = await runch(join(dir, 'root'), ['run', '--bundle', bundle, 'o1']);
  t.equal(ran.exitCode, 0, ran.stderr);
  t.equal(ran.stdout.trim(), '500');
  t.notMatch(ran.stderr, /oomScoreAdj/, 'not reported as ignored');
  writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ...config, process: { ...config.process, oomScoreAdj: 5000 } }));
  const bad = await runch(join(dir, 'root'), ['run', '--bundle', bundle, 'o2']);
  t.equal(bad.exitCode, 1);
  t.match(bad.stderr, /process\.oomScoreAdj/);
});

t.test('hostile config.json: a symlink to /dev/zero, a FIFO, a directory, an oversized file: one line each, nothing left', async (t) => {
  const dir = scratch(t);
  const root = join(dir, 'root');
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['true'] });
  const config = join(bundle, 'config.json');
  const text = readFileSync(config, 'utf8');
  const cases: [string, () => Promise<void> | void, RegExp][] = [
    ['symlink to /dev/zero', () => symlinkSync('/dev/zero', config), /config\.json is not a regular file \(a device\)/],
    ['FIFO', () => execa('mkfifo', [config]).then(() => undefined), /config\.json is not a regular file \(a FIFO\)/],
    ['directory', () => mkdirSync(config), /config\.json is not a regular file \(a directory\)/],
    ['2 MiB', () => writeFileSync(config, `${text.slice(0, -2)}, "annotations": {"pad": "${'x'.repeat(2 * 1024 * 1024)}"}}`), /config\.json is \d+ bytes, over runch's limit of 1048576 \(1 MiB\)/],
  ];
  for (const [what, make, why] of cases) {
    rmSync(config, { recursive: true, force: true });
    await make();
    for (const verb of [['run', '--bundle', bundle, 'x1'], ['create', '--bundle', bundle, 'x1']]) {
      const started = Date.now();
      const result = await runch(root, verb, { timeout: 20_000 });
      t.equal(result.exitCode, 1, `${what}, ${verb[0]}: refused`);
      t.match(result.stderr, why, `${what}, ${verb[0]}: says why`);
      t.equal(result.stderr.trim().split('\n').length, 1, 'one line');
      t.ok(Date.now() - started < 15_000, 'without hanging');
      t.same(existsSync(root) ? readdirSync(root).filter((n) => !n.startsWith('.')) : [], [], 'no state');
    }
  }
  t.same(await mountsBelow(dir), [], 'no mounts left');
  chmodSync(dir, 0o755);
});

t.test('a full --root never leaves a mount-namespace answer cut short; a 0-byte one is probed again (issue 11)', async (t) => {
  const dir = scratch(t);
  const root = join(dir, 'root');
  mkdirSync(root);
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', root]);
  t.teardown(() => execa('umount', ['-l', root], { reject: false }));
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['ls', '-l', '/proc/self/ns/mnt'] });
  // fill the root: the probe's answer cannot be written
  await execa('sh', ['-c', `dd if=/dev/zero of=${root}/filler bs=4k 2>/dev/null; true`]);
  const full = await runch(root, ['run', '--bundle', bundle, 'f1']);
  t.equal(full.exitCode, 1, 'refused on a full root');
  t.equal(full.stderr.trim().split('\n').length, 1, full.stderr);
  const cache = join(root, '.mountns');
  t.ok(!existsSync(cache) || /^(yes|no)\n/.test(readFileSync(cache, 'utf8')), 'no answer cut short');
  rmSync(join(root, 'filler'));
  // what an older runch left on a full disk: an empty answer, which used to mean "no namespace" until a reboot
  writeFileSync(cache, '');
  const ran = await runch(root, ['run', '--bundle', bundle, 'f2']);
  t.equal(ran.exitCode, 0, ran.stderr);
  const inside = /mnt:\[\d+\]/.exec(ran.stdout)?.[0];
  t.ok(inside, 'the container named its mount namespace');
  t.not(inside, (await execa('readlink', ['/proc/self/ns/mnt'])).stdout.trim(), 'the container has a mount namespace of its own');
  t.equal(readFileSync(cache, 'utf8'), 'yes\n', 'the probe ran again and its whole answer is cached');
  t.same(await mountsBelow(join(dir, 'b')), [], 'no mounts left');
});

t.test('a NUL in process.env or process.args, or an argument over 128 KiB, is refused naming the field (issue 11)', async (t) => {
  const dir = scratch(t);
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['true'] });
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['NUL in env', { env: ['PATH=/bin', 'A=x\u0000y'] }, /config\.json: process\.env\[1\]: holds a NUL byte, which exec cannot pass/],
    ['NUL in args', { args: ['echo', 'a\u0000b'] }, /config\.json: process\.args\[1\]: holds a NUL byte/],
    ['200 KiB argument', { args: ['echo', 'x'.repeat(200 * 1024)] }, /config\.json: process\.args\[1\]: is longer than the kernel's 131072 bytes per argument \(exec would fail with E2BIG\)/],
  ];
  for (const [what, change, why] of cases) {
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ...config, process: { ...config.process, ...change } }));
    const result = await runch(join(dir, 'root'), ['run', '--bundle', bundle, 'n1']);
    t.equal(result.exitCode, 1, `${what}: refused`);
    t.match(result.stderr, why, `${what}: names the field`);
    t.equal(result.stderr.trim().split('\n').length, 1, 'one line');
  }
});
