import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { scratch } from '../helpers/fixtures.ts';
import { tool } from './tools.ts';

const EXAMPLES = resolve(import.meta.dirname, '../../examples');
const env = { VZ_DEB_CACHE: '/var/tmp/vz-deb-cache' };
const hasPodman = (() => {
  try {
    execFileSync('podman', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

t.test('issue 14: Docker and back: vzimage export of a built image, podman load, image inspect and run; import-image of the export', async (t) => {
  const dir = scratch(t);
  const built = await tool('vzimage', ['build', join(EXAMPLES, 'python.vz.yml'), '-o', join(dir, 'images')], { env });
  t.equal(built.exitCode, 0, built.stderr);
  const image = built.stdout.trim();
  const outs = [join(dir, 'a.oci.tar'), join(dir, 'b.oci.tar')];
  for (const out of outs) {
    const exported = await tool('vzimage', ['export', image, out, '--tag', 'vz-hello-py:14']);
    t.equal(exported.exitCode, 0, exported.stderr);
  }
  t.same(readFileSync(outs[0]), readFileSync(outs[1]), 'the export is deterministic: the same image gives the same bytes');
  t.comment(`export: ${(statSync(outs[0]).size / 1048576).toFixed(1)} MiB (one uncompressed layer)`);

  // back: the export is an image vzimage reads again, with the same files
  const back = join(dir, 'back');
  const imported = await tool('vzimage', ['import-image', outs[0], back]);
  t.equal(imported.exitCode, 0, imported.stderr);
  const unpacked = join(dir, 'unpacked');
  t.equal((await tool('vzimage', ['unpack', image, unpacked])).exitCode, 0);
  const list = (root: string) => execFileSync('find', [root, '-printf', '%P %y %m %U %s %l\n']).toString().split('\n').sort().join('\n');
  t.equal(list(back), list(join(unpacked, 'rootfs')), 'import-image of the export gives the image\'s rootfs (names, types, modes, owners, sizes)');

  await t.test('podman load, image inspect and run of the export', { skip: hasPodman ? false : 'podman is not installed (bash .ci/run --setup-only installs it)' }, async (t) => {
  // a private podman storage: the machine's own podman state is never touched
  // runc named: with crun installed too (issue 14's second runtime) podman prefers crun, which refuses this machine's
  // hybrid cgroup layout ("cgroups in hybrid mode not supported"); runc runs here.
  const storage = ['--root', join(dir, 'podman/root'), '--runroot', join(dir, 'podman/run'), '--storage-driver', 'vfs', '--runtime', '/usr/sbin/runc'];
  const podman = (args: string[]) => execa('podman', [...storage, ...args], { reject: false, stdin: 'ignore', timeout: 90_000 });
  const loaded = await podman(['load', '-i', outs[0]]);
  t.equal(loaded.exitCode, 0, String(loaded.stderr));
  t.match(String(loaded.stdout), /Loaded image: .*vz-hello-py:14/);
  const inspect = await podman(['image', 'inspect', 'vz-hello-py:14']);
  t.equal(inspect.exitCode, 0, String(inspect.stderr));
  const config = JSON.parse(String(inspect.stdout))[0].Config;
  t.same(config.Entrypoint, ['/usr/bin/python3'], 'Entrypoint: the program');
  t.same(config.Cmd, ['/app/hello.py'], 'Cmd: its arguments');
  t.equal(config.User, '1000:1000');
  t.equal(config.WorkingDir, '/app');
  t.ok(config.Env.includes('PYTHONDONTWRITEBYTECODE=1'), 'the recipe\'s env');
  // podman raises RLIMIT_NOFILE to 1048576 by default, above this machine's hard limit: runc then fails with
  // "error setting rlimit type 7: operation not permitted"; the image's own limit is asked for instead
  const ran = await podman(['run', '--rm', '--network', 'host', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', 'vz-hello-py:14']);
  t.equal(ran.exitCode, 0, String(ran.stderr));
  t.match(String(ran.stdout), /^hello from python 3\.\d+\.\d+ as uid 1000$/, 'podman runs the exported image');
  await podman(['rmi', '--all', '--force']);
  });
});
