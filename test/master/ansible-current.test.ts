// issue 10: the master against a current ansible-core (Debian 13's 2.19, which .ci/run unpacks beside Debian 12's
// 2.14): start, status, deploy and the loss of a host, through VZ_ANSIBLE, with vz_mode set in group_vars/ beside
// the lab's inventory, and no deprecation warning from anything vzmaster does.
import { execFileSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { CURRENT_ANSIBLE } from '../helpers/ansible-cores.ts';
import { busyboxBundle, scratch } from '../helpers/fixtures.ts';
import { alivePids, startLab } from '../helpers/lab.ts';

const VZIMAGE = resolve(import.meta.dirname, '../../dist/vzimage.cjs');
const CURRENT = CURRENT_ANSIBLE;
const IN_CI = Boolean(process.env.CI || process.env.VZ_CI);

function runs(bin: string): boolean {
  try {
    accessSync(bin, constants.X_OK);
    return /core 2\.(19|[2-9]\d)\./.test(execFileSync(bin, ['--version'], { encoding: 'utf8' }));
  } catch {
    return false;
  }
}

/** Wrappers that log each call (which tool) and run the current ansible's own: proof that vzmaster used it. */
function loggingAnsible(dir: string, log: string): string {
  const bin = join(dir, 'ansible-bin');
  mkdirSync(bin);
  for (const tool of ['ansible', 'ansible-inventory']) {
    const real = join(CURRENT, '..', tool);
    writeFileSync(join(bin, tool), `#!/bin/sh\necho ${tool} >> '${log}'\nexec '${real}' "$@"\n`);
    chmodSync(join(bin, tool), 0o755);
  }
  return join(bin, 'ansible');
}

function image(dir: string, name: string): string {
  const bundle = busyboxBundle(join(dir, name), { args: ['sh', '-c', `echo "${name} started"; exec sleep 1000`], env: ['PATH=/bin'] });
  const out = join(dir, `images-${name}`);
  execFileSync(VZIMAGE, ['pack', bundle, '-o', out, '--app', name], { stdio: 'ignore' });
  return join(out, readdirSync(out).find((f) => f.endsWith('.tar.gz'))!);
}

/** argv of the processes in a lab host's PID namespace (read from outside through /proc). */
function hostCommands(initPid: number): string[] {
  const ns = readlinkSync(`/proc/${initPid}/ns/pid`);
  const found: string[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) === ns && alivePids([Number(name)]).length === 1)
        found.push(readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim());
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

interface HostRow {
  host: string;
  apps?: { id: string; state: string }[];
}

t.test('ansible-core 2.19: start, status, deploy, host loss; group_vars vz_mode honoured', { skip: !IN_CI && !runs(CURRENT) ? `${CURRENT} (ansible-core 2.19) is not installed here: bash .ci/run --setup-only installs it` : false }, async (t) => {
  if (!runs(CURRENT)) {
    t.fail(`${CURRENT} does not run ansible-core 2.19, and .ci/run installs it`);
    return;
  }
  const dir = scratch(t);
  const log = join(dir, 'ansible-calls.log');
  const lab = await startLab(t, { hosts: 2, busybox: 0, ansible: loggingAnsible(dir, log) });
  const [plain, sup] = lab.hosts();
  t.equal(sup.vendor, 'vendor_b');
  // vz_mode from group_vars/ beside the lab's inventory: ansible-inventory merges it, the hand parser never saw it.
  mkdirSync(join(lab.dir, 'group_vars'));
  writeFileSync(join(lab.dir, 'group_vars', 'vendor_b.yml'), 'vz_mode: supervisor\n');

  const run = async (args: string[], want: number) => {
    writeFileSync(log, '');
    const result = await lab.run(args, 120_000);
    t.equal(result.exitCode, want, `${args.join(' ')}: exit ${want}`, { output: result.stderr + result.stdout });
    t.notMatch(result.stderr, /DEPRECATION/, `${args[0]}: no deprecation warning on 2.19`);
    t.notMatch(result.stderr, /^ansible: /m, `${args[0]}: no warning from ansible at all`);
    const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    t.ok(calls.includes('ansible'), `${args[0]} ran the current ansible`);
    t.ok(calls.filter((c) => c === 'ansible-inventory').length <= 1, `${args[0]}: the inventory was read at most once (${calls.length} ansible processes)`);
    return result;
  };
  const status = async (want = 0) => JSON.parse((await run(['status', '--json'], want)).stdout).hosts as HostRow[];
  const stateOf = (rows: HostRow[], host: string, app: string) => rows.find((r) => r.host === host)?.apps?.find((a) => a.id === app)?.state;
  const waitRunning = async (hosts: string[], app: string) => {
    const deadline = Date.now() + 20_000;
    let rows = await status();
    while (!hosts.every((h) => stateOf(rows, h, app) === 'running') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      rows = await status();
    }
    return rows;
  };

  const hello = image(dir, 'hello');
  await run(['start', 'hello', '--image', hello], 0);
  let rows = await waitRunning([plain.name, sup.name], 'hello');
  t.equal(stateOf(rows, plain.name, 'hello'), 'running', 'running on the init-mode host');
  t.equal(stateOf(rows, sup.name, 'hello'), 'running', 'running on the group_vars supervisor-mode host');
  t.ok(hostCommands(sup.initPid!).some((c) => / supervise( |$)/.test(c)), `${sup.name} (vendor_b) runs the supervisor: vz_mode came from group_vars`);
  t.notOk(hostCommands(plain.initPid!).some((c) => / supervise( |$)/.test(c)), `${plain.name} (vendor_a) stays in init mode`);
  // The other verbs, for their warnings: none may trigger a deprecation.
  await run(['nodes'], 0);
  t.match((await run(['logs', 'hello', '-n', '5'], 0)).stdout, /hello started/);
  await run(['stop', 'hello'], 0);

  const web = image(dir, 'web');
  const manifest = join(dir, 'web.yml');
  writeFileSync(manifest, `app: web\nimage: ${web}\nreplicas: 2\nrolling: { batch: 2, minUptime: 2, timeout: 60 }\n`);
  const deployed = await run(['deploy', manifest], 0);
  t.match(deployed.stdout, /summary: .*failed=0 unreachable=0/);
  rows = await waitRunning([plain.name, sup.name], 'web');
  t.same([stateOf(rows, plain.name, 'web'), stateOf(rows, sup.name, 'web')], ['running', 'running'], 'deployed on both vendors');

  // A host vanishes: status and deploy say so (exit 4) and the other host keeps running.
  await lab.run(['lab', 'stop-host', plain.name]);
  rows = await status(4);
  t.equal(stateOf(rows, sup.name, 'web'), 'running', 'the host left still runs the app');
  const lost = await run(['deploy', manifest], 4);
  t.match(lost.stdout, new RegExp(`${plain.name}.*unreachable`), 'the lost host is reported unreachable');
});
