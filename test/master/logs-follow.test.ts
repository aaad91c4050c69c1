// vzmaster logs APP -f (issue 15): every host's log followed by polling, host prefixes, a rotation followed through,
// Ctrl-C ends it with exit 0 and leaves no process on any host; the log of an app that no longer runs still reads,
// rotated files in order. One lab: vps1 under sysvinit, vps2 under busybox init.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { scratch } from '../helpers/fixtures.ts';
import { alivePids, busyboxImage, startLab, VZMASTER } from '../helpers/lab.ts';

const PADDING = 20_000;

/** Command lines of the processes in a lab host's PID namespace (read from outside, through /proc). */
function hostCommands(initPid: number): string[] {
  const ns = readlinkSync(`/proc/${initPid}/ns/pid`);
  const found: string[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) !== ns || alivePids([Number(name)]).length === 0) continue;
      found.push(readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim());
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function until(predicate: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!predicate() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  return predicate();
}

t.test('logs -f: new lines with host prefixes, a rotation followed without loss, Ctrl-C exits 0 leaving nothing; a stopped app\'s log with its rotation', async (t) => {
  const dir = scratch(t);
  const lab = await startLab(t, { hosts: 2, busybox: 1 });
  const [vps1, vps2] = lab.hosts();
  // vps1's first run waits for its cue, writes more than the log size (1 MiB) and exits: init respawns it, and the
  // respawn rotates the log.
  const pad = 'x'.repeat(48);
  const script = [
    'echo "start $VZ_HOST"',
    `if [ "$VZ_HOST" = ${vps1.name} ] && [ ! -e /ran ]; then touch /ran; while [ ! -e /go ]; do sleep 0.2; done; i=0; while [ $i -lt ${PADDING} ]; do echo pad-$i-${pad}; i=$((i+1)); done; echo last-before-rotation; exit 1; fi`,
    'i=0; while :; do echo tick-$i; i=$((i+1)); sleep 0.3; done',
  ].join('\n');
  const image = busyboxImage(dir, 'app', script);
  const started = await lab.run(['start', 'app', '--image', image], 120_000);
  t.equal(started.exitCode, 0, 'started on both hosts', { output: started.stderr + started.stdout });

  // As from a terminal: its own process group, which Ctrl-C signals as a whole (ansible included).
  const outFile = join(dir, 'follow.out');
  const errFile = join(dir, 'follow.err');
  const out = openSync(outFile, 'w');
  const err = openSync(errFile, 'w');
  const follower = spawn(VZMASTER, ['logs', 'app', '-f', '-n', '0', '--interval', '500'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...lab.env }, stdio: ['ignore', out, err], detached: true });
  closeSync(out);
  closeSync(err);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => follower.on('exit', (code, signal) => resolve({ code, signal })));
  t.teardown(() => {
    if (follower.exitCode === null && follower.signalCode === null) process.kill(-follower.pid!, 'SIGKILL');
  });
  const output = () => readFileSync(outFile, 'utf8');
  const lines = (host: string) => output().split('\n').filter((l) => l.startsWith(`${host} | `)).map((l) => l.slice(host.length + 3));

  // Once the follower reads both hosts, vps1's program is told to write its padding (a file in its rootfs).
  t.ok(await until(() => lines(vps2.name).length > 0, 30_000), 'the follower reads the hosts', { stderr: readFileSync(errFile, 'utf8') });
  const versions = join(lab.dir, 'hosts', vps1.name, 'vz', 'bundles', 'app');
  writeFileSync(join(versions, readdirSync(versions)[0], 'rootfs', 'go'), '');
  const followed = await until(() => lines(vps1.name).includes('tick-3') && lines(vps2.name).includes('tick-20'), 45_000);
  t.ok(followed, 'both hosts\' new lines arrive', { output: output().slice(-2000), stderr: readFileSync(errFile, 'utf8') });
  // -n 0: nothing of the past is shown, so every line printed was written after -f started.
  t.ok(lines(vps2.name).some((l) => /^tick-\d+$/.test(l)), `${vps2.name}'s ticks, prefixed by host`);
  t.match(output(), new RegExp(`^${vps2.name} \\| tick-\\d+$`, 'm'), 'the prefix is "HOST | "');
  const one = lines(vps1.name);
  const pads = one.filter((l) => l.startsWith('pad-')).map((l) => Number(l.split('-')[1]));
  t.equal(pads.length, PADDING, 'every line written before the rotation, once');
  t.ok(pads.every((n, i) => n === i), 'in order');
  const last = one.indexOf('last-before-rotation');
  const after = one.lastIndexOf(`start ${vps1.name}`);
  t.ok(last >= 0 && after > last && one.indexOf('tick-0') > after, 'then the rotated file\'s last line, then the new run\'s lines');
  t.notMatch(output(), /rotated away/, 'nothing was lost to the rotation');
  t.ok(readdirSync(join(lab.dir, 'hosts', vps1.name, 'vz', 'log')).includes('app.log.1'), 'the log was really rotated on the host');

  process.kill(-follower.pid!, 'SIGINT');
  const end = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(r, 20_000))]);
  t.same(end, { code: 0, signal: null }, 'Ctrl-C ends it with exit 0', { stderr: readFileSync(errFile, 'utf8') });
  t.equal(readFileSync(errFile, 'utf8'), '', 'and nothing on stderr');
  const leftovers = () => [vps1, vps2].flatMap((h) => hostCommands(h.initPid!).filter((c) => / host logs\b|ansible|python/.test(c)));
  t.ok(await until(() => leftovers().length === 0, 5_000), 'no process of the follow left on any host', { leftovers: leftovers() });
  const ansible = () =>
    readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n) && alivePids([Number(n)]).length === 1)
      .filter((n) => {
        try {
          return readFileSync(`/proc/${n}/cmdline`, 'utf8').includes(lab.inventory);
        } catch {
          return false;
        }
      });
  t.same(ansible(), [], 'and no ansible left on the master');

  // An app that has only a past: stopped for good, its log (rotated file first) still shows.
  const stopped = await lab.run(['stop', 'app'], 60_000);
  t.equal(stopped.exitCode, 0, stopped.stderr);
  const past = await lab.run(['logs', 'app', '-n', String(PADDING + 1000), '--limit', vps1.name], 60_000);
  t.equal(past.exitCode, 0, past.stderr);
  const pastLines = past.stdout.split('\n');
  const firstPad = pastLines.findIndex((l) => l.endsWith('| pad-0-' + pad));
  const lastBefore = pastLines.findIndex((l) => l.endsWith('| last-before-rotation'));
  const tick = pastLines.findIndex((l) => /\| tick-0$/.test(l));
  t.ok(firstPad >= 0 && lastBefore > firstPad && tick > lastBefore, 'the rotated file\'s lines, then the current file\'s, in order');
});
