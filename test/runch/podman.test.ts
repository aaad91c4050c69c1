import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { busyboxRootfs, mountsBelow, RUNCH, runch, scratch } from '../helpers/fixtures.ts';

/**
 * Issue 14: runch as a drop-in for a real OCI client. Debian's podman, through its own conmon, drives the built
 * runch (`--runtime dist/runch.cjs`): run, create, start, exec, kill and rm of a busybox image are podman's own runc
 * calls (create --bundle --pid-file, start, exec --process --detach --pid-file, kill ID SIGNAL, kill --all, delete
 * --force); what runch cannot honour (a terminal, a network namespace to join) fails with runch's one line, shown
 * by podman. A private storage under the test's directory: the machine's own podman state is never touched.
 */
const has = (tool: string) => {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const skip = has('podman') && has('conmon') ? false : 'podman or conmon is not installed (bash .ci/run --setup-only installs podman)';

t.test('podman --runtime runch: run, create/start/state/exec/kill/rm, and what runch refuses', { skip }, async (t) => {
  const dir = scratch(t, 'vz-podman-');
  const state = join(dir, 'runch');
  // runch with its own --root: a wrapper, since podman 4.3 drops --runtime-flag from the cleanup it runs at exit
  const wrapper = join(dir, 'runch-here');
  writeFileSync(wrapper, `#!/bin/sh\nexec ${RUNCH} --root ${state} "$@"\n`, { mode: 0o755 });
  const global = [
    '--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), '--tmpdir', join(dir, 'tmp'), '--storage-driver', 'vfs',
    '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--runtime', wrapper,
  ];
  // the host's network and pids (runch has no namespace to give: see docs/runch.md); conmon left in our cgroup; the
  // machine's hard RLIMIT_NOFILE is below podman's default 1048576, which no runtime could then set
  const host = ['--network', 'host', '--pid', 'host', '--cgroups', 'no-conmon', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
  const podman = async (...args: string[]) => {
    const r = await execa('podman', [...global, ...args], { reject: false, stdin: 'ignore', timeout: 30_000 });
    return { code: r.exitCode, stdout: String(r.stdout).trim(), stderr: String(r.stderr).trim() };
  };
  t.teardown(async () => {
    await podman('rm', '--all', '--force');
    await podman('rmi', '--all', '--force');
  });

  // the image: busybox-static and its applets, imported from a tarball (no registry)
  const rootfs = busyboxRootfs(join(dir, 'rootfs'));
  execFileSync('tar', ['-C', rootfs, '-cf', join(dir, 'busybox.tar'), '.']);
  const imported = await podman('import', '--change', 'CMD ["sh"]', join(dir, 'busybox.tar'), 'vz-busybox:14');
  t.equal(imported.code, 0, `podman import of the busybox tarball ${imported.code === 0 ? '' : imported.stderr}`);

  await t.test('podman run gives the program\'s output and its exit code', async (t) => {
    const ran = await podman('run', '--rm', ...host, 'vz-busybox:14', 'sh', '-c', 'echo "hello from $(cat /etc/hostname 2>/dev/null || echo busybox) as $(id -u)"; ls /run/.containerenv');
    t.equal(ran.code, 0, ran.stderr);
    t.match(ran.stdout, /^hello from .* as 0\n\/run\/.containerenv$/, 'the output, and podman\'s bind mounts are there');
    const failed = await podman('run', '--rm', ...host, 'vz-busybox:14', 'sh', '-c', 'exit 3');
    t.equal(failed.code, 3, 'the program\'s exit code is podman\'s');
    const user = await podman('run', '--rm', ...host, '--user', '1000:1000', 'vz-busybox:14', 'sh', '-c', 'echo $(id -u):$(id -g)');
    t.equal(user.stdout, '1000:1000', 'process.user is honoured');
    t.same(readdirSync(state).filter((n) => !n.startsWith('.')), [], 'run --rm leaves no runch state');
  });

  await t.test('create, start, state, exec, kill, rm through podman\'s own calls', async (t) => {
    const created = await podman('create', ...host, '--name', 'vz14', 'vz-busybox:14', 'sleep', '1014');
    t.equal(created.code, 0, created.stderr);
    const id = created.stdout;
    const inRunch = async () => JSON.parse((await runch(state, ['state', id])).stdout) as { status: string; pid: number; bundle: string };
    const init = await podman('init', 'vz14');
    t.equal(init.code, 0, init.stderr);
    t.equal((await inRunch()).status, 'created', 'podman init (runch create) made a runch container, waiting for start');
    const started = await podman('start', 'vz14');
    t.equal(started.code, 0, started.stderr);
    const running = await inRunch();
    t.equal(running.status, 'running');
    const inspect = await podman('inspect', '--format', '{{.State.Status}} {{.State.Pid}}', 'vz14');
    t.equal(inspect.stdout, `running ${running.pid}`, 'podman and runch state agree on the status and the pid');
    t.equal(readFileSync(`/proc/${running.pid}/cmdline`, 'utf8'), 'sleep\x001014\x00', 'the pid is the program itself');
    t.equal(execFileSync('readlink', [`/proc/${running.pid}/root`]).toString().trim(), JSON.parse(readFileSync(join(running.bundle, 'config.json'), 'utf8')).root.path, 'chrooted to podman\'s rootfs');

    const exec = await podman('exec', '--env', 'WHO=podman', 'vz14', 'sh', '-c', 'echo "exec by $WHO as $(id -u) in $(ls -d /run/.containerenv)"; exit 5');
    t.equal(exec.code, 5, `podman exec runs in the container, with its exit code: ${exec.stderr}`);
    t.equal(exec.stdout, 'exec by podman as 0 in /run/.containerenv', 'with its env, in the container\'s root and mounts');
    // runch exec by hand (ARGS over the container's own process) finds the same container podman made
    const byHand = await runch(state, ['exec', '--env', 'WHO=hand', '--cwd', '/bin', '--user', '1000:1000', id, 'sh', '-c', 'echo "$WHO $(id -u) $(pwd)"']);
    t.equal(byHand.exitCode, 0, byHand.stderr);
    t.equal(byHand.stdout, 'hand 1000 /bin', 'runch exec ARGS: --env, --user, --cwd over the container\'s process');
    const tty = await podman('exec', '-t', 'vz14', 'true');
    t.not(tty.code, 0, 'exec -t is refused');
    t.match(tty.stderr, /runch: exec: --tty: a terminal .* is not something runch gives/, 'in runch\'s one line, shown by podman');

    const killed = await podman('kill', '--signal', 'TERM', 'vz14');
    t.equal(killed.code, 0, killed.stderr);
    const waited = await podman('wait', 'vz14');
    t.equal(waited.stdout, '143', 'the kill\'s signal is the exit status podman sees');
    // podman's cleanup at the exit (conmon's exit command) may have deleted it already
    const after = await runch(state, ['state', id]);
    t.ok(after.exitCode === 0 ? JSON.parse(after.stdout).status === 'stopped' : /does not exist/.test(after.stderr), `runch state: stopped or deleted (${after.stdout}${after.stderr})`);
    const removed = await podman('rm', 'vz14');
    t.equal(removed.code, 0, removed.stderr);
    t.equal((await runch(state, ['list', '--quiet'])).stdout, '', 'podman rm deleted the runch container');
    t.notOk(existsSync(`/proc/${running.pid}`), 'no process left');
  });

  await t.test('a terminal, a network namespace to join: refused in runch\'s one line, nothing left', async (t) => {
    const tty = await podman('run', '--rm', '-t', ...host, 'vz-busybox:14', 'true');
    t.not(tty.code, 0);
    t.match(tty.stderr, /runch: create: --console-socket: a terminal \(podman -t\/--tty\) is not something runch gives/);
    const net = await podman('run', '--rm', ...host.slice(2), 'vz-busybox:14', 'true');
    t.not(net.code, 0, 'podman\'s own network namespace cannot be joined');
    t.match(net.stderr, /runch: .*linux\.namespaces\[\d\]\.path: is a namespace to join, which runch cannot do .*podman: --network host/);
    const paused = await podman('run', '-d', ...host, '--name', 'vz14p', 'vz-busybox:14', 'sleep', '1015');
    t.equal(paused.code, 0, paused.stderr);
    const pause = await podman('pause', 'vz14p');
    t.match(pause.stderr, /runch: pause: not supported by runch: freezing a container needs the cgroup freezer/);
    t.equal((await podman('rm', '--force', 'vz14p')).code, 0);
    t.same(readdirSync(state).filter((n) => !n.startsWith('.')), [], 'no runch state left by the refusals');
  });

  await podman('rm', '--all', '--force');
  t.same(await mountsBelow(dir), [], 'no mounts left');
  const left = execFileSync('ps', ['-eo', 'args']).toString().split('\n').filter((line) => /^sleep 101[45]$/.test(line));
  t.same(left, [], 'no container process left');
});
