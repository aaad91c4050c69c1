import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { mountsBelow } from '../helpers/fixtures.ts';
import { host, pidsOf, sleep, waitFor } from './helpers.ts';

const COUNT = 50;
// 30 s of kills in CI (the suite's time budget); VZ_CHAOS_SECONDS=600 for a long soak.
const SECONDS = Number(process.env.VZ_CHAOS_SECONDS ?? 30);

function stat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

t.test(`chaos: ${COUNT} containers, random SIGKILLs for ${SECONDS} s`, { timeout: (SECONDS + 100) * 1000 }, async (t) => {
  // Short backoff and no crash-loop verdict: this test is about the machinery under stress (every death seen,
  // every restart done, nothing leaked), not the default timings (supervise.test.ts covers those).
  const h = host(t, 'baseMs=20,capMs=500,loopDeaths=1000');
  const ids = Array.from({ length: COUNT }, (_, i) => `c${String(i).padStart(2, '0')}`);
  const program = (i: number) => `sleep ${1400 + i}`;
  ids.forEach((id, i) => h.bundle(id, { args: ['sleep', String(1400 + i)] }));
  h.writeTable(ids.map((id) => `${id}:respawn:${h.dir}/bundles/${id}:stop-timeout=2s`));
  const sup = h.start();
  const allRunning = () => {
    const units = h.state()?.units ?? [];
    return units.length === COUNT && units.every((u, i) => u.state === 'running' && cmdline(u.pid) === program(i));
  };
  await waitFor('all running', allRunning, 60_000);

  const kills = new Map<string, number>();
  const killed = new Set<number>();
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) {
    const units = h.state()!.units;
    const i = Math.floor(Math.random() * COUNT);
    const unit = units[i];
    const s = stat(unit.pid);
    if (unit.state === 'running' && !killed.has(unit.pid) && s && s.state !== 'Z' && cmdline(unit.pid) === program(i)) {
      process.kill(unit.pid, 'SIGKILL');
      killed.add(unit.pid);
      kills.set(unit.id, (kills.get(unit.id) ?? 0) + 1);
    }
    await sleep(100 + Math.random() * 100);
  }
  const total = [...kills.values()].reduce((a, b) => a + b, 0);
  t.ok(total >= SECONDS * 3, `${total} kills`);

  await waitFor('all running again', () => allRunning() && h.state()!.units.every((u) => u.restarts === (kills.get(u.id) ?? 0)), 60_000).catch(() => undefined);
  const units = h.state()!.units;
  t.same(units.filter((u) => u.state !== 'running').map((u) => `${u.id}:${u.state}`), [], 'every container running');
  t.same(
    units.filter((u) => u.restarts !== (kills.get(u.id) ?? 0)).map((u) => `${u.id}: ${u.restarts} restarts, ${kills.get(u.id) ?? 0} kills`),
    [],
    'restart counts match the kills',
  );
  t.same(ids.map((_, i) => pidsOf(['sleep', String(1400 + i)]).length).filter((n) => n !== 1), [], 'exactly one process per container');
  const zombies = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((pid) => { const s = stat(pid); return s?.state === 'Z' && s.ppid === sup.pid; });
  t.same(zombies, [], 'no zombie children of the supervisor');

  await sup.stop();
  t.same(ids.flatMap((_, i) => pidsOf(['sleep', String(1400 + i)])), [], 'graceful stop: every container gone');
  t.same(await mountsBelow(join(h.dir, 'bundles')), [], 'no leftover mounts');
  t.same(existsSync(h.root) ? readdirSync(h.root).filter((n) => existsSync(join(h.root, n, 'state.json'))) : [], [], 'no runch state left');
});
