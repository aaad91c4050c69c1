// issue 14: init mode's log rotation under vz_runtime runc. A real sysvinit runs an entry whose config.json is written
// for runc (runch/oci/runtime-config.ts, as runch host apply writes it), with a small log-size. Its first run writes
// more than that and is killed -9: the respawn's launcher hands the big log to `runch init prepare`, which rotates it
// (copy to .1, truncate), and the container runs under runc again. A respawn with a small log rotates nothing.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { specTemplate } from '../../runch/oci/defaults.ts';
import { configForRuntime } from '../../runch/oci/runtime-config.ts';
import { busyboxRootfs, RUNCH, scratch } from '../helpers/fixtures.ts';
import { oddInittab, startInit, waitFor } from '../helpers/init-ns.ts';
import { cmdline, removeRuntimeCgroups } from '../helpers/runtime-cgroups.ts';

const RUNC = '/usr/sbin/runc';
// Under CI (.ci/run installs it) a missing runc fails; elsewhere it is a visible skip.
const missing = existsSync(RUNC) || process.env.VZ_CI ? false : 'runc is not installed: apt-get install runc';

const LOG_SIZE = 4096;
// Each run counts itself in the rootfs; the first one writes about 12 KiB (over log-size), every one then says
// which it is and waits.
const SCRIPT = [
  'n=$(cat /runs 2>/dev/null || echo 0); n=$((n + 1)); echo $n >/runs',
  'if [ $n -eq 1 ]; then i=0; while [ $i -lt 200 ]; do echo "run 1 line $i: more than the log-size of the entry"; i=$((i + 1)); done; fi',
  'echo "run $n started"',
  'exec sleep 86399',
].join('\n');

const comm = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
const nsOf = (pid: number, ns: string) => readlinkSync(`/proc/${pid}/ns/${ns}`);
/** A process's pid in the innermost pid namespace it is in (what the launcher's $$ was, inside the init's). */
const innerPid = (pid: number) => Number(/^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1].trim().split(/\s+/).at(-1));

function children(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

t.test('sysvinit, vz_runtime runc: a log over log-size is rotated at the respawn after a kill -9, the container runs under runc again', { skip: missing }, async (t) => {
  // Registered before the init: teardowns run last first, so this runs once the namespace and its runc are gone.
  t.teardown(() => removeRuntimeCgroups(['oci-rotate']));
  const ns = await startInit(t, 'sysvinit', oddInittab('sysvinit'));
  const dir = scratch(t);
  const bundle = join(dir, 'rot');
  busyboxRootfs(join(bundle, 'rootfs'));
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(configForRuntime(specTemplate(['sh', '-c', SCRIPT]) as unknown as Record<string, unknown>, 'runc', { cgroupsPath: 'vz/oci-rotate/rot' })));
  // Every Node a launcher starts says so here (RUNCH_LAUNCHER_NODE: the node launchers call).
  const calls = join(dir, 'node-calls');
  const wrapper = join(dir, 'node');
  writeFileSync(wrapper, `#!/bin/sh\necho "$*" >>'${calls}'\nexec '${process.execPath}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  const nodeCalls = () => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter(Boolean) : []);
  const log = ns.path('/var/log/vz/rot.log');
  const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');
  const diagnose = () => `log: ${read(log)}\nlog.1: ${read(`${log}.1`)}\nconsole: ${ns.console()}`;

  mkdirSync(join(ns.etc, 'vz'), { recursive: true });
  writeFileSync(join(ns.etc, 'vz/table'), `rot:respawn:${bundle}:log-size=${LOG_SIZE},log-keep=2\n`);
  const applied = await ns.exec(['env', `RUNCH_LAUNCHER_NODE=${wrapper}`, process.execPath, RUNCH, 'init', 'apply']);
  t.equal(applied.exitCode, 0, applied.stderr);
  const launcher = readFileSync(join(ns.etc, 'vz/launch/rot'), 'utf8');
  t.match(launcher, /^exec '\/usr\/sbin\/runc' .* 'run' '--bundle' /m, 'the launcher execs runc');
  t.match(launcher, new RegExp(`"\\$1" -gt ${LOG_SIZE} \\] && need=rotate`), 'and checks the log against the log-size');

  /** runc's foreground process (init's child, the launcher exec'd into it) and the program it runs, once both are there. */
  const running = (not?: number) => {
    for (const runc of ns.pidsOf('run --bundle')) {
      if (runc === not || comm(runc) !== 'runc') continue;
      const program = children(runc).find((p) => cmdline(p) === 'sleep 86399');
      if (program) return { runc, program };
    }
    return undefined;
  };
  const first = await waitFor(() => running(), 20_000);
  t.ok(first, 'init started the container under runc');
  if (!first) return t.comment(diagnose());
  t.ok(await waitFor(() => read(log).includes('run 1 started'), 10_000), 'run 1 wrote its lines');
  t.ok(statSync(log).size > LOG_SIZE, `the log is over the log-size (${statSync(log).size} > ${LOG_SIZE} bytes)`);
  t.same(nodeCalls(), [], 'a start with a small log ran no Node');

  process.kill(first.program, 'SIGKILL');
  const second = await waitFor(() => running(first.runc), 30_000);
  t.ok(second, 'respawned after kill -9');
  if (!second) return t.comment(diagnose());
  t.ok(await waitFor(() => read(log).includes('run 2 started'), 10_000), 'run 2 wrote its line');
  const rotated = read(`${log}.1`);
  t.match(rotated, /run 1 line 0:[\s\S]*run 1 line 199:[\s\S]*run 1 started/, '.1 holds the old run\'s lines');
  t.notMatch(rotated, /run 2/, 'and nothing of the new one');
  const current = read(log);
  t.ok(current.length < LOG_SIZE, `the current log is small (${current.length} bytes)`);
  t.notMatch(current, /run 1/, 'the old lines left the current log');
  t.notMatch(current, /ignored from config\.json|hooks are not run/, "runch's own notes stay out of a runc container's log (runc honours those fields)");
  t.notOk(existsSync(`${log}.2`), 'one rotation, no .2');
  t.equal(nodeCalls().length, 1, 'the launcher handed over to Node once');
  t.match(nodeCalls()[0] ?? '', / init prepare rot$/, 'to runch init prepare');
  t.equal(comm(second.runc), 'runc', 'the respawn runs under runc again');
  t.not(nsOf(second.program, 'pid'), nsOf(second.runc, 'pid'), 'the program in its own pid namespace');
  const state = await ns.runch(['state', 'rot']);
  t.equal(state.exitCode, 0, state.stderr);
  const record = JSON.parse(state.stdout || '{}');
  t.equal(record.status, 'running', 'runch state: running');
  t.equal(record.pid, innerPid(second.runc), 'runch state records the new runc\'s pid');
  t.comment(`the log after the rotation:\n${current}`);

  // A respawn with a small log: nothing rotated, the log goes on.
  process.kill(second.program, 'SIGKILL');
  const third = await waitFor(() => running(second.runc), 30_000);
  t.ok(third, 'respawned again');
  if (!third) return t.comment(diagnose());
  t.ok(await waitFor(() => read(log).includes('run 3 started'), 10_000), 'run 3 wrote its line');
  t.match(read(log), /run 2 started[\s\S]*run 3 started/, 'a small log is not rotated: run 2\'s line is still there');
  t.equal(read(`${log}.1`), rotated, '.1 unchanged');
  t.notOk(existsSync(`${log}.2`), 'still no .2');

  const stopped = await ns.runch(['init', 'stop', 'rot']);
  t.equal(stopped.exitCode, 0, stopped.stderr);
  t.same(ns.pidsOf('run --bundle'), [], 'stopped: no runc left');
});
