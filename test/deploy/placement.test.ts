import t from 'tap';
import { place, type PlacementHost } from '../../master-cli/deploy/placement.ts';

const hosts = (spec: string): PlacementHost[] =>
  spec.split(' ').map((item) => {
    const [name, vendor, state] = item.split(':');
    return { name, vendor, reachable: state !== 'down' };
  });

t.test('spreads over vendors before doubling up on one', async (t) => {
  const h = hosts('a1:a a2:a b1:b c1:c');
  t.same(place(h, [], 3).add.sort(), ['a1', 'b1', 'c1']);
  t.same(place(h, [], 2).add.map((n) => n[0]).sort(), ['a', 'b']);
  const four = place(h, [], 4);
  t.same(four.add.sort(), ['a1', 'a2', 'b1', 'c1']);
  t.equal(place(h, [], 5).unplaced, 1, 'one replica per host: the fifth has nowhere to go');
});

t.test('keeps what runs (no churn) and adds on the emptiest vendor', async (t) => {
  const p = place(hosts('a1:a a2:a b1:b'), ['a2'], 2);
  t.same(p.keep, ['a2']);
  t.same(p.add, ['b1']);
  t.same(p.remove, []);
});

t.test('a lost host: its replica is replaced on a reachable host and reported', async (t) => {
  const p = place(hosts('a1:a b1:b:down c1:c'), ['a1', 'b1'], 2);
  t.same(p.keep, ['a1']);
  t.same(p.lost, ['b1']);
  t.same(p.add, ['c1']);
});

t.test('the host comes back: the surplus replica stops, from the most crowded vendor', async (t) => {
  const p = place(hosts('a1:a a2:a b1:b'), ['a1', 'a2', 'b1'], 2);
  t.same(p.remove, ['a2']);
  t.same(p.keep, ['a1', 'b1']);
  t.same(p.add, []);
});

t.test('scaling to zero removes every replica; unknown hosts in the current list are ignored', async (t) => {
  const p = place(hosts('a1:a b1:b'), ['a1', 'b1', 'gone'], 0);
  t.same(p.remove, ['a1', 'b1']);
  t.same(p.add, []);
});
