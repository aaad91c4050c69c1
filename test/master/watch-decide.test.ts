// issue 15: the watch's decision (master-cli/watch/decide.ts), rule by rule, on plain data.
import t from 'tap';
import type { HostStatus } from '../../master-cli/app/status.ts';
import { type AppView, decide, EMPTY_STATE, type WatchState } from '../../master-cli/watch/decide.ts';

const now = new Date('2026-12-01T00:00:00Z');

function host(name: string, reachable: boolean, apps: { id: string; state?: string; wanted?: string; failures?: number }[] = []): HostStatus {
  return {
    host: name,
    reachable,
    runtime: 'runch',
    ...(reachable ? {} : { error: 'ssh: connect timed out' }),
    apps: apps.map((a) => ({
      id: a.id, wanted: a.wanted ?? 'respawn', state: a.state ?? 'running', failures: a.failures ?? 0, bundle: '/b', version: 'v', restart: { policy: 'always' } as never, host: name,
    })),
  };
}

const web: AppView = { app: 'web', replicas: 2, hosts: ['a', 'b'], deployedAt: 't1' };
const all = (names: string[]) => names.map((n) => host(n, true, n === 'c' ? [] : [{ id: 'web' }]));

t.test('one missed answer is never acted on; lostAfter misses in a row declare the host lost', async (t) => {
  let state: WatchState = structuredClone(EMPTY_STATE);
  const down = [host('a', false), host('b', true, [{ id: 'web' }]), host('c', true)];
  const first = decide(state, down, [web], 3, now);
  t.same(first.events.map((e) => e.event), ['host-missed']);
  t.same(first.reconcile, [], 'no action after one miss');
  t.same(first.waiting, [{ app: 'web', hosts: ['a'] }], 'the app waits for the missed host');
  state = first.state;
  const second = decide(state, down, [web], 3, now);
  t.same(second.reconcile, [], 'nor after two of three');
  const third = decide(second.state, down, [web], 3, now);
  t.same(third.events.map((e) => e.event), ['host-lost']);
  t.same(third.reconcile.map((r) => [r.app, r.why]), [['web', 'a lost']], 'the third miss acts');
  const fourth = decide(third.state, down, [web], 3, now);
  t.same(fourth.events, [], 'a lost host is reported once');
  t.same(fourth.reconcile.map((r) => r.why), ['a lost'], 'and acted on while the record still names it');
});

t.test('an answer in between starts the count again', async (t) => {
  const a1 = decide(EMPTY_STATE, [host('a', false), ...all(['b'])], [web], 2, now);
  const back = decide(a1.state, all(['a', 'b']), [web], 2, now);
  t.same(back.events, [], 'a missed host that answers is not "back": it was never lost');
  const again = decide(back.state, [host('a', false), ...all(['b'])], [web], 2, now);
  t.same(again.reconcile, [], 'one miss after an answer is one miss');
});

t.test('a lost host that returns: host-back, and the surplus is reconciled', async (t) => {
  const lost = decide(decide(EMPTY_STATE, [host('a', false), ...all(['b', 'c'])], [web], 2, now).state, [host('a', false), ...all(['b', 'c'])], [web], 2, now);
  t.ok(lost.state.hosts.a.lost);
  // After the move, the record names b and c; a comes back still running its old replica.
  const moved: AppView = { ...web, hosts: ['b', 'c'], deployedAt: 't2' };
  const back = decide(lost.state, ['a', 'b', 'c'].map((n) => host(n, true, [{ id: 'web' }])), [moved], 2, now);
  t.same(back.events.map((e) => [e.event, e.host]), [['host-back', 'a']]);
  t.same(back.reconcile.map((r) => r.why), ['3 replicas run, 2 wanted']);
});

t.test('a short app is retried only when the reachable hosts change', async (t) => {
  const short: AppView = { ...web, hosts: ['b'] };
  const status = [host('a', true), host('b', true, [{ id: 'web' }])];
  const first = decide(EMPTY_STATE, status, [short], 2, now);
  t.same(first.reconcile.map((r) => r.why), ['1 of 2 replicas run']);
  const attempted = { ...first.state, attempts: { web: first.reconcile[0].reachable } };
  t.same(decide(attempted, status, [short], 2, now).reconcile, [], 'the same hosts: not again');
  t.same(decide(attempted, [...status, host('c', true)], [short], 2, now).reconcile.length, 1, 'a new host: again');
  const full = [host('b', true, [{ id: 'web' }])];
  t.same(decide(EMPTY_STATE, full, [short], 2, now).reconcile, [], 'no free host: nothing to try');
});

t.test('crash-looping is notified once per episode', async (t) => {
  const looping = [host('a', true, [{ id: 'web', state: 'crash-loop', failures: 8 }]), host('b', true, [{ id: 'web' }])];
  const first = decide(EMPTY_STATE, looping, [web], 2, now);
  t.same(first.events.map((e) => [e.event, e.app, e.host]), [['crash-looping', 'web', 'a']]);
  t.match(first.events[0].detail, /8 quick exits/);
  t.same(decide(first.state, looping, [web], 2, now).events, [], 'not again while it lasts');
  const healed = decide(first.state, all(['a', 'b']), [web], 2, now);
  t.same(decide(healed.state, looping, [web], 2, now).events.map((e) => e.event), ['crash-looping'], 'a new episode is news again');
});

t.test('a stopped app (wanted off) does not count as a replica', async (t) => {
  const status = [host('a', true, [{ id: 'web', wanted: 'off', state: 'stopped' }]), host('b', true, [{ id: 'web' }]), host('c', true)];
  t.same(decide(EMPTY_STATE, status, [web], 2, now).reconcile.map((r) => r.why), ['1 of 2 replicas run']);
});
