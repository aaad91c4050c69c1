// Issue 4: containers respawned by a real sysvinit and a real busybox init, each PID 1 of its own namespace.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { busyboxBundle, scratch } from '../helpers/fixtures.ts';
import { type InitKind, oddInittab, startInit, waitFor } from '../helpers/init-ns.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const kind of (process.env.ONLY ? [process.env.ONLY] : ['sysvinit', 'busybox']) as InitKind[]) {
  t.test(`${kind}: respawn, crash loop, stop, start, removal; nothing of vz resident`, async (t) => {
    const original = oddInittab(kind);
    const ns = await startInit(t, kind, original);
    const dir = scratch(t);
    const logs = ns.path('/var/log/vz');
    const runch = (...args: string[]) => ns.runch(['init', ...args]);
    const web = busyboxBundle(join(dir, 'web'), { args: ['sh', '-c', 'echo started; exec sleep 1000'] });
    const crash = busyboxBundle(join(dir, 'crash'), { args: ['sh', '-c', 'echo crash; exit 3'] });

    const added = await runch('add', 'web1', '--bundle', web);
    t.equal(added.exitCode, 0, added.stderr);
    const first = await waitFor(() => ns.pidsExactly('sleep 1000')[0], 15_000);
    t.ok(first, 'init started the container');
    const resident = ns.pidsOf('runch').map((p) => readFileSync(`/proc/${p}/cmdline`, 'latin1').replaceAll('\0', ' '));
    t.same(resident, [], 'no vz process resident: the container replaced runch');
    if (resident.length) t.comment(JSON.stringify(resident));
    const status = JSON.parse((await runch('status', 'web1', '--json')).stdout)[0];
    t.equal(status.state, 'running');
    t.match(readFileSync(join(logs, 'web1.log'), 'utf8'), /started/, 'output goes to the container\'s log');

    // The crash loop runs while the rest goes on.
    const crashAdded = await runch('add', 'crash', '--bundle', crash);
    t.equal(crashAdded.exitCode, 0, crashAdded.stderr);

    const files = kind === 'sysvinit' ? readdirSync(join(ns.etc, 'inittab.d')).map((f) => join(ns.etc, 'inittab.d', f)) : [join(ns.etc, 'inittab')];
    const stamps = files.map((f) => statSync(f).mtimeMs);
    const again = await runch('apply');
    t.equal(again.exitCode, 0, again.stderr);
    t.match(again.stdout, /no change: init not reloaded/, 'applying twice changes nothing');
    t.same(files.map((f) => statSync(f).mtimeMs), stamps, 'no file rewritten');
    if (kind === 'sysvinit') t.equal(readFileSync(join(ns.etc, 'inittab'), 'utf8'), original, 'sysvinit with inittab.d: /etc/inittab untouched');
    else t.ok(readFileSync(join(ns.etc, 'inittab'), 'utf8').startsWith(`${original}\n# BEGIN vz`), 'foreign lines intact, block after them');

    process.kill(first, 'SIGKILL');
    const second = await waitFor(() => ns.pidsExactly('sleep 1000').find((p) => p !== first), 15_000);
    t.ok(second, 'killed with -9, init respawned it');
    t.equal(ns.pidsExactly('sleep 1000').length, 1, 'one instance');

    const stopped = await runch('stop', 'web1');
    t.equal(stopped.exitCode, 0, stopped.stderr);
    t.same(ns.pidsOf('sleep 1000'), [], 'runch init stop: the process is gone');
    await ns.reload();
    await sleep(2_000);
    t.same(ns.pidsOf('sleep 1000'), [], 'stays stopped across a reload of init');
    t.equal(JSON.parse((await runch('status', 'web1', '--json')).stdout)[0].state, 'stopped');

    const started = await runch('start', 'web1');
    t.equal(started.exitCode, 0, started.stderr);
    t.ok(await waitFor(() => ns.pidsExactly('sleep 1000').length === 1, 15_000), 'start puts it back');

    // By now the crash loop has run ~10 s; wait until vz holds it as a crash loop.
    const looping = await waitFor(async () => {
      const row = JSON.parse((await runch('status', 'crash', '--json')).stdout)[0];
      return row.state === 'crash-loop' && row;
    }, 60_000, 500);
    t.ok(looping, 'a crash loop shows as vz\'s crash-loop state');
    t.ok(looping && Date.parse(looping.nextTry) > Date.now(), 'with the time of the next try');
    const runs = readFileSync(join(logs, 'crash.log'), 'utf8').split('\n').filter((l) => l === 'crash').length;
    t.ok(runs >= 4 && runs <= 8, `the crashing program ran ${runs} times, at most 8 per 120 s`);
    t.notMatch(ns.console(), /respawning too fast/, 'init never saw it respawning too fast');
    t.notMatch(ns.console(), /too long|duplicate|missing/, 'and never complained about a line');

    // A program that ignores SIGTERM: busybox would leave it running unsupervised; vz KILLs it after the timeout.
    const table = join(ns.etc, 'vz/table');
    const stubborn = busyboxBundle(join(dir, 'stubborn'), { args: ['sh', '-c', 'trap "" TERM; while :; do sleep 1; done'] });
    writeFileSync(table, `${readFileSync(table, 'utf8')}stubborn:respawn:${stubborn}:stop-timeout=1s\n`);
    t.equal((await runch('apply')).exitCode, 0);
    const stubbornPid = await waitFor(() => ns.pidsOf('while :; do sleep 1; done').length > 0, 15_000);
    t.ok(stubbornPid, 'hand-edited table entry applied');

    for (const id of ['web1', 'crash', 'stubborn']) {
      const removed = await runch('remove', id);
      t.equal(removed.exitCode, 0, removed.stderr);
    }
    t.same(ns.pidsOf('sleep 1000'), [], 'removal leaves no process');
    t.same(ns.pidsOf('while :; do sleep 1; done'), [], 'not even one that ignores SIGTERM');
    t.same(ns.pidsOf('runch'), [], 'nor a runch waiting out a backoff');
    t.equal(readFileSync(join(ns.etc, 'inittab'), 'utf8'), original, 'the inittab is byte for byte what it was');
    if (kind === 'sysvinit') t.same(readdirSync(join(ns.etc, 'inittab.d')), [], 'no vz file left in inittab.d');
    t.notOk(existsSync(join(ns.etc, 'inittab.d', 'vz-web1.tab')));
  });
}
