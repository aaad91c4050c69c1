// issue 11: under `runch supervise`, a program that forks a child into a new session and dies: the child is ended
// before the respawn (it would hold the port) and by the stop; a non-root program writes to its log via /dev/stdout.
import { spawn } from 'node:child_process';
import { readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { isAlive, processStartTime } from '../../base/proc.ts';
import { host, sleep, waitFor } from './helpers.ts';

function orphans(rootfs: string): { pid: number; startTime: number }[] {
  let text = '';
  try {
    text = readFileSync(join(rootfs, 'orphans'), 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter(Boolean).map((line) => {
    const [pid, startTime] = line.split(' ').map(Number);
    return { pid, startTime };
  });
}

const alive = (p: { pid: number; startTime: number }) => isAlive(p.pid, p.startTime);

t.test('issue 11: the supervisor ends the previous run\'s child (new session) before each respawn, and at the stop', async (t) => {
  const h = host(t, 'baseMs=20,capMs=200,loopDeaths=1000');
  // The child records its pid and kernel start time (field 22 of /proc/self/stat), so the test knows it exactly.
  const program = `setsid sh -c 'read -r s < /proc/self/stat; set -- $s; shift 21; echo "$$ $1" >> /orphans; exec sleep 1151' & sleep 0.6; exit 1`;
  const bundle = h.bundle('o', { args: ['sh', '-c', program] });
  symlinkSync('busybox', join(bundle, 'rootfs/bin/setsid'));
  const rootfs = join(bundle, 'rootfs');
  const outside = spawn('sleep', ['1151'], { stdio: 'ignore', detached: true });
  t.teardown(() => outside.kill('SIGKILL'));
  h.writeTable([`o:respawn:${bundle}`]);
  const sup = h.start();
  await waitFor('three runs', () => orphans(rootfs).length >= 3 && h.unit('o')?.state === 'running');
  const seen = orphans(rootfs);
  t.same(seen.slice(0, -1).filter(alive), [], 'every earlier run\'s child was ended before its respawn');
  await waitFor('the last child up', () => alive(orphans(rootfs).at(-1)!) || undefined);
  await sup.stop();
  t.same(orphans(rootfs).filter(alive), [], 'the stop ended the last child too');
  t.ok(isAlive(outside.pid!, processStartTime(outside.pid!)!), 'a same-named process outside the container is untouched');
});

t.test('issue 11: a program running as uid 1000 writes to its log through /dev/stdout', async (t) => {
  const h = host(t);
  const program = 'echo first > /dev/stdout; exec 1>/dev/stdout; echo second; echo third >&2; exec sleep 1152';
  const bundle = h.bundle('u', { args: ['sh', '-c', program], user: { uid: 1000, gid: 1000 } });
  h.writeTable([`u:respawn:${bundle}`]);
  h.start();
  const log = join(h.logDir, 'u.log');
  await waitFor('its output', () => {
    try {
      return readFileSync(log, 'utf8').includes('second');
    } catch {
      return false;
    }
  });
  await sleep(200);
  const text = readFileSync(log, 'utf8');
  t.notMatch(text, /Permission denied|can't create/, text);
  t.match(text, /second/);
  t.match(text, /third/);
  t.equal(statSync(log).uid, 1000, 'the log file is the program\'s');
  t.equal(h.unit('u')?.restarts, 0, 'it kept running');
});
