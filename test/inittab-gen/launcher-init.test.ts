// Issue 12: under a real sysvinit and a real busybox init, a respawn runs the compiled launcher and no Node; a
// changed bundle is recompiled (Node once) and its new config runs. runch itself runs under Node 18 when
// /opt/vz-node18 has it (.ci/run installs it), the oldest Node runch supports.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { busyboxBundle, RUNCH, scratch, writeConfig } from '../helpers/fixtures.ts';
import { type InitKind, oddInittab, startInit, waitFor } from '../helpers/init-ns.ts';

const NODE18 = '/opt/vz-node18/bin/node';
const NODE = existsSync(NODE18) ? NODE18 : process.execPath;

for (const kind of ['sysvinit', 'busybox'] as InitKind[]) {
  t.test(`${kind}: respawns through the launcher, 0 Node processes each; a changed bundle recompiled (runch on ${NODE === NODE18 ? 'Node 18' : process.version})`, async (t) => {
    const ns = await startInit(t, kind, oddInittab(kind));
    const dir = scratch(t);
    const calls = join(dir, 'node-calls');
    const wrapper = join(dir, 'node');
    // Every Node a launcher starts says so here (RUNCH_LAUNCHER_NODE: the node launchers call).
    writeFileSync(wrapper, `#!/bin/sh\necho "$*" >>'${calls}'\nexec '${NODE}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    const nodeCalls = () => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter(Boolean).length : 0);
    // env -i: tap's process-info hook adds its loader to a child's NODE_OPTIONS, which Node 18 cannot load.
    const env = ['env', '-i', 'PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin'];
    const runch = (...args: string[]) => ns.exec([...env, `RUNCH_LAUNCHER_NODE=${wrapper}`, NODE, RUNCH, 'init', ...args]);
    const web = busyboxBundle(join(dir, 'web'), { args: ['sh', '-c', 'exec sleep 1000'] });
    const added = await runch('add', 'web1', '--bundle', web);
    t.equal(added.exitCode, 0, added.stderr);
    let current = await waitFor(() => ns.pidsExactly('sleep 1000')[0], 15_000);
    t.ok(current, 'init started the container');
    const line = readFileSync(kind === 'sysvinit' ? join(ns.etc, 'inittab.d', 'vz-web1.tab') : join(ns.etc, 'inittab'), 'utf8');
    t.match(line, /:respawn:\/etc\/vz\/launch\/web1\n/, "init's line is the launcher");
    const before = nodeCalls();
    for (let i = 0; i < 5; i++) {
      process.kill(current, 'SIGKILL');
      const next = await waitFor(() => ns.pidsExactly('sleep 1000').find((p) => p !== current), 20_000);
      t.ok(next, `respawn ${i + 1}`);
      if (next === undefined) return;
      current = next;
    }
    t.equal(nodeCalls(), before, '5 respawns started no Node');
    t.same(ns.pidsOf('runch'), [], 'nothing of vz resident');
    const state = await ns.exec([...env, NODE, RUNCH, 'state', 'web1']);
    t.equal(JSON.parse(state.stdout).status, 'running', 'runch state reads what the launcher wrote');

    // Stale: config.json edited under a running entry, then kill -9: the next start runs the new config.
    writeConfig(web, { args: ['sh', '-c', 'exec sleep 1001'] });
    process.kill(current, 'SIGKILL');
    t.ok(await waitFor(() => ns.pidsExactly('sleep 1001')[0], 30_000), 'the new config runs');
    t.equal(nodeCalls(), before + 1, 'through runch once, which recompiled the launcher');
    t.same(ns.pidsExactly('sleep 1000'), [], 'not the old one');

    const stopped = await runch('stop', 'web1');
    t.equal(stopped.exitCode, 0, stopped.stderr);
    t.same(ns.pidsOf('sleep 100'), [], 'stopped');

    // Removing the entry removes its launcher and fstab: nothing of it is left for init to spawn.
    const launcher = join(ns.etc, 'vz', 'launch', 'web1');
    t.ok(existsSync(launcher), 'a stopped entry keeps its launcher');
    const removed = await runch('remove', 'web1');
    t.equal(removed.exitCode, 0, removed.stderr);
    t.notOk(existsSync(launcher), 'remove took the launcher');
    t.notOk(existsSync(`${launcher}.fstab`), 'and its fstab');
  });
}
