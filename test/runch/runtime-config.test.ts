// issue 14: one bundle, two configs. The conversion (runch/oci/runtime-config.ts) against runc's own `runc spec` as
// the anchor, then the converted config run for real by Debian's runc (and crun where this machine lets it).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { specTemplate } from '../../runch/oci/defaults.ts';
import { configForRuntime, DEFAULT_CAPABILITIES, RUNTIME_ANNOTATION, runtimeOf } from '../../runch/oci/runtime-config.ts';
import { busyboxRootfs, scratch } from '../helpers/fixtures.ts';
import { removeRuntimeCgroups } from '../helpers/runtime-cgroups.ts';

const has = (bin: string) => existsSync(bin);
const RUNC = '/usr/sbin/runc';
const CRUN = '/usr/bin/crun';
// Under CI (.ci/run installs both) a missing runtime fails; elsewhere it is a visible skip.
const missing = (bin: string, pkg: string) => (has(bin) || process.env.VZ_CI ? false : `${pkg} is not installed: apt-get install ${pkg}`);

/** runc's own default config (`runc spec`), the anchor of what a namespaced container gets. */
function runcSpec(dir: string): Record<string, any> {
  execFileSync(RUNC, ['spec'], { cwd: dir });
  return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
}

const runchConfig = (args: string[]) => {
  const config = specTemplate(args) as unknown as Record<string, any>;
  config.mounts = [...config.mounts, { destination: '/data', type: 'bind', source: '/tmp', options: ['rbind', 'rw'] }];
  return config;
};

t.test('runch keeps its own config; runc and crun get runc spec\'s namespaces (but the network), kernel mounts and masked paths', { skip: missing(RUNC, 'runc') }, async (t) => {
  const config = runchConfig(['sh']);
  t.equal(configForRuntime(config, 'runch', { cgroupsPath: 'vz/h/a' }), config, 'runch: the image\'s config as it is');
  const anchor = runcSpec(scratch(t));
  for (const runtime of ['runc', 'crun'] as const) {
    const out = configForRuntime(config, runtime, { cgroupsPath: 'vz/h/a' }) as Record<string, any>;
    t.same(
      out.linux.namespaces.map((n: { type: string }) => n.type).sort(),
      anchor.linux.namespaces.map((n: { type: string }) => n.type).filter((n: string) => n !== 'network').sort(),
      `${runtime}: runc spec's namespaces less the network (the host's, as runch has)`,
    );
    t.same(out.linux.maskedPaths, anchor.linux.maskedPaths, `${runtime}: runc spec's masked paths`);
    t.same(out.linux.readonlyPaths, anchor.linux.readonlyPaths, `${runtime}: runc spec's read-only paths`);
    t.same(out.linux.resources, anchor.linux.resources, `${runtime}: devices denied but the runtime's defaults`);
    const kernel = anchor.mounts.filter((m: { destination: string }) => m.destination !== '/sys/fs/cgroup');
    t.same(out.mounts.slice(0, kernel.length).map((m: { destination: string; type: string }) => [m.destination, m.type]), kernel.map((m: { destination: string; type: string }) => [m.destination, m.type]), `${runtime}: runc spec's /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys first`);
    t.same(out.mounts.slice(kernel.length).map((m: { destination: string }) => m.destination), ['/run', '/tmp', '/data'], `${runtime}: the image's own mounts kept, runch's devtmpfs /dev and friends replaced`);
    t.equal(out.process.terminal, false, `${runtime}: no terminal (the log is stdout)`);
    t.same(out.process.capabilities.bounding, DEFAULT_CAPABILITIES, `${runtime}: the default capability set for a config that names none`);
    t.same(out.process.args, ['sh'], `${runtime}: the same process`);
    t.equal(out.linux.cgroupsPath, 'vz/h/a');
    t.equal(out.annotations[RUNTIME_ANNOTATION], runtime, `${runtime}: marked, so the launcher and the supervisor pick the runtime`);
    t.equal(runtimeOf(out.annotations), runtime);
  }
  t.equal(runtimeOf({}), 'runch', 'an unmarked config is runch\'s');
  const capped = configForRuntime({ ...config, process: { ...config.process, capabilities: { bounding: ['CAP_KILL'] } } }, 'runc', { cgroupsPath: 'x' }) as Record<string, any>;
  t.same(capped.process.capabilities, { bounding: ['CAP_KILL'] }, 'capabilities a config names are kept');
});


/** A busybox bundle whose config.json is runch's converted for `runtime`. */
function bundleFor(dir: string, runtime: 'runc' | 'crun', script: string): string {
  busyboxRootfs(join(dir, 'rootfs'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configForRuntime(runchConfig(['sh', '-c', script]), runtime, { cgroupsPath: `vz/unit/${runtime}` })));
  return dir;
}

const SCRIPT = 'echo "pid $$"; read h </proc/sys/kernel/hostname; echo "uts $h"; ls /dev | tr "\\n" " "; echo; exit 7';

t.test('runc runs the converted config for real: its own pid namespace, /proc and /dev, the program\'s exit status', { skip: missing(RUNC, 'runc') }, async (t) => {
  const dir = scratch(t);
  t.teardown(() => removeRuntimeCgroups(['unit']));
  const bundle = bundleFor(join(dir, 'b'), 'runc', SCRIPT);
  const result = spawnSync(RUNC, ['--root', join(dir, 'state'), 'run', '--bundle', bundle, 'unit-runc'], { encoding: 'utf8', timeout: 30_000 });
  t.equal(result.status, 7, `runc exits with the program's status (${result.stderr})`);
  t.match(result.stdout, /^pid 1$/m, 'PID 1 of its own pid namespace');
  t.match(result.stdout, /\bnull\b.*\bpts\b.*\bshm\b/, 'runc\'s /dev: null, pts, shm');
  t.notMatch(result.stdout, /\bsda\b|\bvda\b|\btty1\b/, 'not the host\'s devices (runch\'s template would mount devtmpfs)');
  const list = spawnSync(RUNC, ['--root', join(dir, 'state'), 'list', '-q'], { encoding: 'utf8' });
  t.equal(list.stdout.trim(), '', 'a foreground run leaves no container behind');
});

t.test('crun runs the converted config where this machine allows it', { skip: missing(CRUN, 'crun') }, async (t) => {
  const dir = scratch(t);
  t.teardown(() => removeRuntimeCgroups(['unit']));
  const bundle = bundleFor(join(dir, 'b'), 'crun', SCRIPT);
  const args = ['--root', join(dir, 'state'), 'run', '--bundle', bundle, 'unit-crun'];
  const direct = spawnSync(CRUN, args, { encoding: 'utf8', timeout: 30_000 });
  // A hybrid cgroup machine (v1 controllers, and a cgroup2 tree with a controller of its own, as here: hugetlb)
  // is one crun 1.8 refuses outright, whatever its --cgroup-manager: said exactly, then run where cgroup2 is hidden.
  const hybrid = /cgroups in hybrid mode not supported, drop all controllers from cgroupv2/.test(direct.stderr);
  if (!hybrid) {
    t.equal(direct.status, 7, `crun exits with the program's status (${direct.stderr})`);
    t.match(direct.stdout, /^pid 1$/m);
    return;
  }
  t.equal(direct.status, 1, 'crun refuses a hybrid cgroup machine');
  const unified = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' - ')[1]?.startsWith('cgroup2 '))?.split(' ')[4];
  const hidden = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', 'umount "$0" && exec "$@"', unified!, CRUN, ...args], { encoding: 'utf8', timeout: 30_000 });
  t.equal(hidden.status, 7, `with the machine's cgroup2 tree out of its sight crun runs it (${hidden.stderr})`);
  t.match(hidden.stdout, /^pid 1$/m);
});
