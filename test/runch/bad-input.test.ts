import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { busyboxBundle, mountsBelow, runch, scratch } from '../helpers/fixtures.ts';

/** After a refusal: one line on stderr, exit 1, no state, no mounts, no process left. */
async function refused(t: Tap.Test, dir: string, args: string[], pattern: RegExp) {
  const root = join(dir, 'root');
  const result = await runch(root, args);
  t.equal(result.exitCode, 1, `exit 1 for ${args.join(' ')}`);
  t.match(result.stderr, pattern);
  t.equal(result.stderr.trim().split('\n').filter((l) => !l.includes('warning')).length, 1, 'one line');
  const left = existsSync(root) ? readdirSync(root).filter((n) => !n.startsWith('.')) : [];
  t.same(left, [], 'no state left');
  t.same(await mountsBelow(dir), [], 'no mounts left');
  const strays = readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false;
      }
    });
  t.same(strays, [], 'no stray process');
}
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Tap {
    type Test = import('tap').Test;
  }
}

t.test('unsafe or invalid ids', async (t) => {
  const dir = scratch(t);
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['true'] });
  await refused(t, dir, ['create', '-b', bundle, ''], /container id cannot be empty/);
  await refused(t, dir, ['create', '-b', bundle, '..'], /container id "\.\." is invalid/);
  await refused(t, dir, ['create', '-b', bundle, 'a/b'], /container id "a\/b" is invalid/);
  await refused(t, dir, ['create', '-b', bundle, 'x'.repeat(65)], /is 65 characters: use at most 64/);
  await refused(t, dir, ['state', '../etc'], /container id "\.\.\/etc" is invalid/);
});

t.test('bundles and configs that cannot run', async (t) => {
  const dir = scratch(t);
  await refused(t, dir, ['create', '-b', join(dir, 'missing'), 'c'], /bundle ".*missing" is not a directory/);
  const b = busyboxBundle(join(dir, 'b'), { args: ['true'] });
  writeFileSync(join(b, 'config.json'), '{ not json');
  await refused(t, dir, ['run', '-b', b, 'c'], /config.json is not valid JSON/);
  writeFileSync(join(b, 'config.json'), JSON.stringify({ ociVersion: '1.2.0', root: { path: 'rootfs' }, process: { user: { uid: 'root', gid: 0 }, args: ['true'], cwd: '/' } }));
  await refused(t, dir, ['run', '-b', b, 'c'], /config.json: process.user.uid: .*got "root"/);
  writeFileSync(join(b, 'config.json'), JSON.stringify({ ociVersion: '1.2.0', root: { path: 'rootfs' }, process: { user: { uid: 0, gid: 0 }, args: [], cwd: '/' } }));
  await refused(t, dir, ['run', '-b', b, 'c'], /process.args: must name the program to run/);
  busyboxBundle(join(dir, 'p'), { args: ['/usr/bin/nonexistent', 'x'] });
  await refused(t, dir, ['run', '-b', join(dir, 'p'), 'c'], /process.args\[0\] "\/usr\/bin\/nonexistent" is not an executable file in the rootfs/);
  busyboxBundle(join(dir, 'q'), { args: ['nosuchprogram'] });
  await refused(t, dir, ['run', '-b', join(dir, 'q'), 'c'], /"nosuchprogram" is not an executable file in the rootfs PATH/);
});

t.test('root.path outside the bundle, mount destinations escaping the rootfs', async (t) => {
  const dir = scratch(t);
  const b = busyboxBundle(join(dir, 'b'), { args: ['true'], extra: { root: { path: '../outside' } } });
  mkdirSync(join(dir, 'outside'));
  await refused(t, dir, ['run', '-b', b, 'c'], /root.path "\.\.\/outside" is outside the bundle/);

  const m = busyboxBundle(join(dir, 'm'), { args: ['true'], mounts: [{ destination: '/../../etc', type: 'tmpfs', source: 'tmpfs' }] });
  await refused(t, dir, ['run', '-b', m, 'c'], /mounts\[0\].destination "\/\.\.\/\.\.\/etc" escapes the rootfs through "\.\."/);

  const s = busyboxBundle(join(dir, 's'), { args: ['true'], mounts: [{ destination: '/evil/etc', type: 'tmpfs', source: 'tmpfs' }] });
  symlinkSync('../../../../../../..', join(s, 'rootfs/evil'));
  await refused(t, dir, ['run', '-b', s, 'c'], /mounts\[0\].destination "\/evil\/etc" escapes the rootfs through the symlink "\/evil"/);
  t.notOk(readFileSync('/proc/self/mountinfo', 'utf8').includes(' /etc tmpfs'), 'nothing mounted on the host /etc');
});

t.test('an absolute symlink resolves inside the rootfs, as chroot sees it', async (t) => {
  const dir = scratch(t);
  const b = busyboxBundle(join(dir, 'b'), { args: ['sh', '-c', 'cut -d" " -f2 /proc/self/mounts'], mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }, { destination: '/data/x', type: 'tmpfs', source: 'tmpfs' }] });
  symlinkSync('/srv', join(b, 'rootfs/data'));
  const result = await runch(join(dir, 'root'), ['run', '-b', b, 'c']);
  t.equal(result.exitCode, 0, result.stderr);
  t.match(result.stdout, /^\/srv\/x$/m);
});

t.test('state conflicts: id in use, delete running without --force, kill stopped, unknown signal', async (t) => {
  const dir = scratch(t);
  const root = join(dir, 'root');
  const b = busyboxBundle(join(dir, 'b'), { args: ['sleep', '1000'] });
  t.equal((await runch(root, ['run', '-d', '-b', b, 'busy'])).exitCode, 0);
  const dup = await runch(root, ['create', '-b', b, 'busy']);
  t.equal(dup.exitCode, 1);
  t.match(dup.stderr, /container "busy" already exists: delete it first or choose another id/);
  const del = await runch(root, ['delete', 'busy']);
  t.match(del.stderr, /cannot delete a running container: stop it first/);
  const sig = await runch(root, ['kill', 'busy', 'SIGNOPE']);
  t.equal(sig.exitCode, 1);
  t.match(sig.stderr, /unknown signal "SIGNOPE": use one of .*KILL/);
  t.equal((await runch(root, ['kill', 'busy', '9'])).exitCode, 0);
  for (let i = 0; i < 200; i++) {
    if (JSON.parse((await runch(root, ['state', 'busy'])).stdout).status === 'stopped') break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const kill = await runch(root, ['kill', 'busy']);
  t.match(kill.stderr, /cannot kill a container that has stopped/);
  t.equal((await runch(root, ['delete', 'busy'])).exitCode, 0);
  const unknown = await runch(root, ['state', 'ghost']);
  t.match(unknown.stderr, /container "ghost" does not exist/);
  const flag = await runch(root, ['run', '--bogus', 'x']);
  t.equal(flag.exitCode, 1);
  t.match(flag.stderr, /run: Unknown option '--bogus'/);
});

t.test('a reused pid is not mistaken for the container', async (t) => {
  const dir = scratch(t);
  const root = join(dir, 'root');
  const b = busyboxBundle(join(dir, 'b'), { args: ['sleep', '1000'] });
  t.equal((await runch(root, ['run', '-d', '-b', b, 'p1'])).exitCode, 0);
  const file = join(root, 'p1/state.json');
  const stored = JSON.parse(readFileSync(file, 'utf8'));
  // Point the state at this very test process: alive, but started at another time.
  writeFileSync(file, JSON.stringify({ ...stored, pid: process.pid }));
  t.equal(JSON.parse((await runch(root, ['state', 'p1'])).stdout).status, 'stopped');
  writeFileSync(file, JSON.stringify(stored));
  t.equal((await runch(root, ['delete', '--force', 'p1'])).exitCode, 0);
});
