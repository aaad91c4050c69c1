// The pacing init mode applies before each exec (issue 4; issue 10: through the one decision, supervisor/policy).
import t from 'tap';
import { decideSpawn, INIT_WINDOW_MS, type Tally } from '../../inittab-gen/tally.ts';
import { DEFAULT_POLICY } from '../../supervisor/policy/index.ts';

/** sysvinit's own rule: count spawns from the first of a window; more than 10 within 120 s disables the entry. */
function sysvinitTrips(spawns: number[]): boolean {
  let windowStart = -Infinity;
  let count = 0;
  for (const at of spawns) {
    if (at - windowStart > INIT_WINDOW_MS) {
      windowStart = at;
      count = 0;
    }
    if (++count >= 10) return true;
  }
  return false;
}

/** Instant crashes for `minutes`: each spawn waits the delay, execs, dies `runMs` later, init respawns at once. */
function simulate(minutes: number, runMs: number, respawnMs = 0) {
  let tally: Tally | undefined;
  let now = 1_000_000;
  const spawns: number[] = [];
  const states = new Set<string>();
  while (now < 1_000_000 + minutes * 60_000) {
    spawns.push(now);
    const decision = decideSpawn(tally, now, DEFAULT_POLICY, () => 0.5);
    states.add(decision.tally.state);
    now += decision.delayMs + 150; // runch's own start before the exec
    tally = { ...decision.tally, lastExec: now };
    now += runMs + respawnMs;
  }
  return { spawns, states };
}

t.test('a container that crashes at once never trips sysvinit\'s "respawning too fast"', async (t) => {
  const { spawns, states } = simulate(30, 5);
  t.notOk(sysvinitTrips(spawns), `${spawns.length} spawns in 30 min, never 10 within 120 s`);
  for (let i = 0; i + 8 < spawns.length; i++) t.ok(spawns[i + 8] - spawns[i] > INIT_WINDOW_MS, 'any 9 spawns span more than 120 s') || i;
  t.ok(states.has('crash-loop'), 'and it shows as crash-loop');
  t.ok(spawns.length >= 20, 'while still being tried now and then');
});

t.test('without the guard, the policy alone would let init disable it', async (t) => {
  // The same first minutes with the supervisor's delays only: 8 quick deaths then a 60 s hold.
  const delays = [0, 0, 250, 500, 1000, 2000, 4000, 8000, 60_000, 120_000];
  let now = 0;
  const spawns = delays.map((d) => (now += d + 155));
  t.ok(spawns.filter((s) => s - spawns[0] <= INIT_WINDOW_MS).length >= 9, 'nine or more spawns inside one window');
});

t.test('a stable run forgets the past; the first restart is immediate', async (t) => {
  const first = decideSpawn(undefined, 0, DEFAULT_POLICY);
  t.equal(first.delayMs, 0);
  t.equal(first.tally.state, 'running');
  const quick = decideSpawn({ ...first.tally, lastExec: 10 }, 1_000, DEFAULT_POLICY, () => 0.5);
  t.equal(quick.delayMs, 0, 'first death after a start: restart at once');
  const again = decideSpawn({ ...quick.tally, lastExec: 1_100 }, 1_500, DEFAULT_POLICY, () => 0.5);
  t.ok(again.delayMs > 0, 'second quick death: backoff');
  t.equal(again.tally.state, 'backoff');
  const stable = decideSpawn({ ...again.tally, lastExec: 2_000 }, 2_000 + DEFAULT_POLICY.stableMs + 1, DEFAULT_POLICY);
  t.equal(stable.delayMs, 0, 'after a stable run: at once again');
  t.equal(stable.tally.policy.streak, 1);
});
