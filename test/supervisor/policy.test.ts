import t from 'tap';
import { DEFAULT_POLICY, EMPTY_TALLY, backoffDelay, decide, parsePolicy, type Tally } from '../../supervisor/policy/index.ts';

const config = DEFAULT_POLICY;
const crash = { code: 1, signal: null, ranMs: 50 };
const mid = () => 0.5; // no jitter

t.test('backoff: 0 first, then 250 ms doubling, capped, jitter within +-20 %', async (t) => {
  t.same([1, 2, 3, 4, 5, 6, 7, 8, 9, 20].map((n) => backoffDelay(n, config, mid)), [0, 250, 500, 1000, 2000, 4000, 8000, 16000, 16000, 16000]);
  t.equal(backoffDelay(3, config, () => 0), 400);
  t.equal(backoffDelay(3, config, () => 0.999999), 600);
  t.ok(backoffDelay(30, config, () => 0.9999) <= config.capMs, 'jitter never passes the cap');
});

t.test('decide: policies', async (t) => {
  const base = { stopSignal: 'SIGTERM', tally: EMPTY_TALLY, now: 1000 };
  t.equal(decide({ ...base, policy: 'no', exit: crash }, config).restart, false);
  t.equal(decide({ ...base, policy: 'always', exit: { code: 0, signal: null, ranMs: 5 } }, config).restart, true);
  t.equal(decide({ ...base, policy: 'on-failure', exit: { code: 0, signal: null, ranMs: 5 } }, config).restart, false);
  t.equal(decide({ ...base, policy: 'on-failure', exit: { code: null, signal: 'SIGKILL', ranMs: 5 } }, config).restart, true);
  const stopped = decide({ ...base, policy: 'unless-stopped', exit: { code: null, signal: 'SIGTERM', ranMs: 5 } }, config);
  t.same([stopped.restart, stopped.state], [false, 'stopped']);
  t.equal(decide({ ...base, policy: 'unless-stopped', exit: { code: null, signal: 'SIGKILL', ranMs: 5 } }, config).restart, true);
  // on-failure:2 -> two restarts, then exited
  let tally: Tally = EMPTY_TALLY;
  const seen: boolean[] = [];
  for (let i = 0; i < 4; i++) {
    const d = decide({ ...base, policy: 'on-failure', max: 2, exit: crash, tally, now: 1000 + i }, config, mid);
    seen.push(d.restart);
    tally = d.tally;
  }
  t.same(seen, [true, true, false, false]);
});

t.test('decide: crash loop after 8 quick deaths, hold doubles to the cap, a stable run forgets', async (t) => {
  let tally: Tally = EMPTY_TALLY;
  let now = 0;
  const states: string[] = [];
  const delays: number[] = [];
  for (let i = 0; i < 11; i++) {
    const d = decide({ policy: 'always', stopSignal: 'SIGTERM', exit: crash, tally, now }, config, mid);
    if (!d.restart) throw new Error('always restarts');
    states.push(d.state);
    delays.push(d.delayMs);
    tally = d.tally;
    now += d.delayMs + 50;
  }
  t.same(states, ['backoff', 'backoff', 'backoff', 'backoff', 'backoff', 'backoff', 'backoff', 'crash-loop', 'crash-loop', 'crash-loop', 'crash-loop']);
  t.same(delays, [0, 250, 500, 1000, 2000, 4000, 8000, 60000, 120000, 240000, 300000]);
  const calm = decide({ policy: 'always', stopSignal: 'SIGTERM', exit: { ...crash, ranMs: 10_000 }, tally, now }, config, mid);
  t.same([calm.state, calm.restart ? calm.delayMs : -1, calm.tally.streak, calm.tally.loops], ['backoff', 0, 1, 0]);
  t.equal(calm.tally.restarts, tally.restarts, 'decide does not count restarts: the loop does when it restarts');
});

t.test('deaths spread wider than the window are no loop', async (t) => {
  const wide = { ...config, stableMs: 1e9 };
  let tally: Tally = EMPTY_TALLY;
  for (let i = 0; i < 20; i++) {
    const d = decide({ policy: 'always', stopSignal: 'SIGTERM', exit: crash, tally, now: i * 60_000 }, wide, mid);
    t.equal(d.state, 'backoff');
    tally = d.tally;
  }
});

t.test('parsePolicy: overrides, bad keys named', async (t) => {
  t.equal(parsePolicy('baseMs=10, capMs=100').capMs, 100);
  t.throws(() => parsePolicy('speed=1'), /unknown key "speed"/);
  t.throws(() => parsePolicy('capMs=-1'), /non-negative number/);
});

t.test('issue 10: the start limit (init mode\'s spawn window) only lengthens the wait, in the one decision', async (t) => {
  const limited = { ...config, startLimit: 3, startWindowMs: 10_000 };
  const base = { policy: 'always' as const, stopSignal: 'SIGTERM', tally: EMPTY_TALLY, exit: crash };
  const delay = (d: ReturnType<typeof decide>) => (d.restart ? d.delayMs : -1);
  t.equal(delay(decide({ ...base, now: 5_000, starts: [4_000, 5_000] }, limited, mid)), 0, 'below the limit: the policy alone');
  const held = decide({ ...base, now: 5_000, starts: [3_000, 4_000, 5_000] }, limited, mid);
  t.same([held.restart, held.state, delay(held)], [true, 'crash-loop', 3_000 + 10_000 + 1_000 - 5_000], 'past 3 starts in 10 s: waits out the window');
  t.equal(delay(decide({ ...base, now: 5_000, starts: [3_000, 4_000, 5_000] }, config, mid)), 0, 'no limit configured (the supervisor): none applies');
  t.equal(delay(decide({ ...base, now: 5_000 }, limited, mid)), 0, 'no start times given: none applies');
});
