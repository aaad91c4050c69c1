// issue 11: init mode under a real sysvinit and a real busybox init. A program whose main process is killed with -9
// leaves a child it put in a new session (an nginx worker holding the port): init's next start of the entry first
// ends it; runch init stop ends every process of the container; a same-named process outside survives. And a
// program running as uid 1000 writes to its log through /dev/stdout.
import { spawn } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { busyboxBundle, scratch } from '../helpers/fixtures.ts';
import { type InitKind, startInit, waitFor } from '../helpers/init-ns.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const kind of (process.env.ONLY ? [process.env.ONLY] : ['sysvinit', 'busybox']) as InitKind[]) {
  t.test(`issue 11 (${kind}): the previous run's child is ended before the next start and by the stop; non-root output`, async (t) => {
    const ns = await startInit(t, kind, kind === 'sysvinit' ? 'id:2:initdefault:\n' : '::sysinit:/bin/true\n');
    const dir = scratch(t);
    const runch = (...args: string[]) => ns.runch(['init', ...args]);
    // Each run counts itself in /n and leaves `sleep 1170N` in a session of its own; the main process is `sleep 1170`.
    const program = 'n=$(cat /n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /n; setsid sleep $((11700+n)) & exec sleep 1170';
    const web = busyboxBundle(join(dir, 'web'), { args: ['sh', '-c', program] });
    symlinkSync('busybox', join(web, 'rootfs/bin/setsid'));
    // A same-named process in the namespace, outside every container.
    const outside = spawn('nsenter', ['-t', String(ns.pid), '-m', '-p', '--', 'sleep', '1170'], { stdio: 'ignore', detached: true });
    t.teardown(() => outside.kill('SIGKILL'));
    const bystander = await waitFor(() => ns.pidsExactly('sleep 1170')[0], 10_000);
    t.ok(bystander, 'the bystander runs');

    const added = await runch('add', 'web', '--bundle', web);
    t.equal(added.exitCode, 0, added.stderr);
    const child1 = await waitFor(() => ns.pidsExactly('sleep 11701')[0], 15_000);
    t.ok(child1, 'the first run put its child in a new session');
    const main1 = await waitFor(() => ns.pidsExactly('sleep 1170').find((p) => p !== bystander), 15_000);
    t.ok(main1, 'the main process runs');
    process.kill(main1!, 'SIGKILL');
    const child2 = await waitFor(() => ns.pidsExactly('sleep 11702')[0], 20_000);
    t.ok(child2, 'init started the entry again');
    t.same(ns.pidsExactly('sleep 11701'), [], 'the previous run\'s child was ended before the new start');
    t.match(readFileSync(ns.path('/var/log/vz/web.log'), 'utf8'), /process\(es\) of the previous run were still there/, 'and the log says so');

    const stopped = await runch('stop', 'web');
    t.equal(stopped.exitCode, 0, stopped.stderr);
    t.same(ns.pidsExactly('sleep 11702'), [], 'runch init stop ended the child in its own session');
    t.same(ns.pidsExactly('sleep 1170'), [bystander], 'the main process is gone; the same-named process outside is untouched');

    // Non-root output: the log is the container's stdout, reopened by a program running as uid 1000.
    const quiet = busyboxBundle(join(dir, 'user'), { args: ['sh', '-c', 'echo first > /dev/stdout; exec 1>/dev/stdout; echo second; echo third >&2; exec sleep 1180'], user: { uid: 1000, gid: 1000 } });
    const user = await runch('add', 'user', '--bundle', quiet);
    t.equal(user.exitCode, 0, user.stderr);
    t.ok(await waitFor(() => ns.pidsExactly('sleep 1180').length === 1, 15_000), 'the uid 1000 program runs');
    await sleep(300);
    const log = readFileSync(ns.path('/var/log/vz/user.log'), 'utf8');
    t.notMatch(log, /Permission denied|can't create/, log);
    t.match(log, /second\n/);
    t.match(log, /third\n/);
    t.equal((await runch('remove', 'user')).exitCode, 0);
  });
}
