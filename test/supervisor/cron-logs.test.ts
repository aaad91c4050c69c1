import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { host, sleep, waitFor } from './helpers.ts';

t.test('cron: runs on schedule, never two runs at once', async (t) => {
  const h = host(t);
  // Every second, each run lasting ~2.5 s: most ticks find the previous run still going.
  h.bundle('job', { args: ['sh', '-c', 'echo run; sleep 2.5'] });
  h.writeTable([`job:cron */1 * * * * *:${h.dir}/bundles/job`]);
  h.start();
  await waitFor('scheduled', () => h.unit('job')?.state === 'scheduled' || h.unit('job')?.state === 'running');
  await waitFor('3 runs', () => h.readEvents().filter((e) => e.event === 'cron-run').length >= 3, 20_000);
  const events = h.readEvents().filter((e) => e.id === 'job' && (e.event === 'start' || e.event === 'exit'));
  let running = 0;
  let most = 0;
  for (const e of events) {
    running += e.event === 'start' ? 1 : -1;
    most = Math.max(most, running);
  }
  t.equal(most, 1, 'never overlapping');
  t.ok(h.readEvents().some((e) => e.event === 'cron-overlap'), 'ticks during a run are skipped and logged');
  const starts = events.filter((e) => e.event === 'start').map((e) => e.t as number);
  for (let i = 1; i < starts.length; i++) t.ok(starts[i] - starts[i - 1] >= 2400, `runs ${(starts[i] - starts[i - 1]).toFixed(0)} ms apart`);
  // The record of a unit between runs names its next tick: within a second of when it was written (every-second
  // schedule). Waited for, not sampled once: a state file written as the unit enters 'scheduled' at the very moment
  // node-cron is reloaded may carry no time for a few milliseconds, and the one after it does.
  const between = await waitFor('between runs, with the next run time', () => {
    const unit = h.unit('job');
    return unit?.state === 'scheduled' && unit.nextTry ? unit : undefined;
  }, 10_000);
  const ahead = Date.parse(between.nextTry!) - Date.parse(between.since);
  t.ok(ahead >= 0 && ahead <= 1500, `next run time shown (${between.nextTry}, ${ahead} ms after the record's since)`);
  t.equal(between.lastExit?.code, 0);
});

t.test('logs: per-container files, rotated by size keeping N, read back tagged by id', async (t) => {
  const h = host(t);
  // ~100-byte lines, 10 bursts of 3 KB 0.2 s apart, through a 4 KB log keeping 2 rotated files.
  const script = 'for b in 0 1 2 3 4 5 6 7 8 9; do i=0; while [ $i -lt 30 ]; do echo "line $b.$i ...................................................................................."; i=$((i+1)); done; sleep 0.2; done; echo done >&2; sleep 1000';
  h.bundle('chatty', { args: ['sh', '-c', script] });
  h.writeTable([`chat:respawn:${h.dir}/bundles/chatty:log-size=4K,log-keep=2`]);
  h.start();
  // Read without a prior exists check: the supervisor rotates (renames) while this polls.
  const readIfThere = (f: string) => {
    try {
      return readFileSync(join(h.logDir, f), 'utf8');
    } catch {
      return '';
    }
  };
  const all = () => ['chat.log.2', 'chat.log.1', 'chat.log'].map(readIfThere).join('');
  await waitFor('done', () => all().includes('done'), 20_000);
  await sleep(300);
  t.ok(existsSync(join(h.logDir, 'chat.log.1')) && existsSync(join(h.logDir, 'chat.log.2')), 'rotated');
  t.notOk(existsSync(join(h.logDir, 'chat.log.3')), 'only 2 rotated files kept');
  for (const f of ['chat.log.1', 'chat.log.2']) t.ok(statSync(join(h.logDir, f)).size < 16 * 1024, `${f} bounded (${statSync(join(h.logDir, f)).size} B)`);
  t.notOk(all().includes('line 0.0 '), 'the oldest lines rotated away');
  const logs = await h.runch(['logs', 'chat', '-n', '3']);
  t.equal(logs.exitCode, 0, logs.stderr);
  const lines = logs.stdout.split('\n');
  t.equal(lines.length, 3);
  t.ok(lines.every((l) => l.startsWith('chat | ')), 'tagged by id');
  t.ok(lines.some((l) => l === 'chat | done'), 'stderr too');
  const missing = await h.runch(['logs', 'nope']);
  t.equal(missing.exitCode, 1);
  t.match(missing.stderr, /no log for "nope"/);
});
