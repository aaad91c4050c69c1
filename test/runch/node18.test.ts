// Issue 12: dist/runch.cjs runs on Node 18 (Debian 12 i386's nodejs is 18.19): create, start, state, kill, delete.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { busyboxBundle, execToFiles, RUNCH, scratch } from '../helpers/fixtures.ts';

const NODE18 = '/opt/vz-node18/bin/node';
const inCi = process.env.VZ_CI === '1';

t.test('issue 12: the runch lifecycle under Node 18', { skip: !existsSync(NODE18) && !inCi ? `${NODE18} is missing (.ci/run installs it)` : false }, async (t) => {
  t.ok(existsSync(NODE18), `${NODE18} is there (CI installs it)`);
  const dir = scratch(t);
  const root = join(dir, 'run');
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['sh', '-c', 'exec sleep 1000'] });
  // env -i: tap's process-info hook adds its own loader to a child's NODE_OPTIONS, which Node 18 cannot load.
  const clean = ['-i', `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`];
  const runch = (...args: string[]) => execToFiles('/usr/bin/env', [...clean, NODE18, RUNCH, '--root', root, ...args], { dir });
  const version = await execToFiles(NODE18, ['--version'], { dir });
  t.match(version.stdout, /^v18\./, 'Node 18');
  t.teardown(() => runch('delete', '--force', 'c1'));
  const created = await runch('create', '--bundle', bundle, 'c1');
  t.equal(created.exitCode, 0, created.stderr);
  const started = await runch('start', 'c1');
  t.equal(started.exitCode, 0, started.stderr);
  const state = await runch('state', 'c1');
  t.equal(JSON.parse(state.stdout).status, 'running', state.stderr);
  const killed = await runch('kill', 'c1', 'KILL');
  t.equal(killed.exitCode, 0, killed.stderr);
  await new Promise((r) => setTimeout(r, 300));
  const deleted = await runch('delete', 'c1');
  t.equal(deleted.exitCode, 0, deleted.stderr);
  t.notOk(existsSync(join(root, 'c1')), 'state gone');
});
