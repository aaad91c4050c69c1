/**
 * Where an app's replicas go: pure, so every rule is tested with plain data.
 * Rules, in order: at most one replica per host; replicas already on reachable hosts stay (no churn); new
 * replicas go to the vendor with the fewest replicas that still has a free reachable host (no two replicas on one
 * vendor while another vendor has room); replicas on unreachable hosts are replaced and counted as moved; surplus
 * (a lost host came back, or fewer replicas wanted) is removed from the most crowded vendor first.
 */
export interface PlacementHost {
  name: string;
  vendor: string;
  reachable: boolean;
}

export interface Placement {
  /** Hosts that keep their replica. */
  keep: string[];
  /** Hosts that get a new replica. */
  add: string[];
  /** Reachable hosts whose replica must stop (surplus). */
  remove: string[];
  /** Unreachable hosts whose replica was replaced elsewhere. */
  lost: string[];
  /** Replicas that found no host. */
  unplaced: number;
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

export function place(hosts: PlacementHost[], current: string[], replicas: number): Placement {
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const running = [...new Set(current)].filter((name) => byName.has(name));
  const lost = running.filter((name) => !byName.get(name)!.reachable);
  let keep = running.filter((name) => byName.get(name)!.reachable);
  const remove: string[] = [];
  while (keep.length > replicas) {
    const perVendor = countBy(keep.map((name) => byName.get(name)!.vendor));
    // The most crowded vendor gives one up; among its hosts, the last by name (stable, predictable).
    const victim = [...keep].sort((a, b) => {
      const va = perVendor.get(byName.get(a)!.vendor)!;
      const vb = perVendor.get(byName.get(b)!.vendor)!;
      return vb - va || b.localeCompare(a);
    })[0];
    remove.push(victim);
    keep = keep.filter((name) => name !== victim);
  }
  const add: string[] = [];
  const taken = new Set([...keep, ...lost]);
  while (keep.length + add.length < replicas) {
    const free = hosts.filter((h) => h.reachable && !taken.has(h.name));
    if (free.length === 0) break;
    const perVendor = countBy([...keep, ...add].map((name) => byName.get(name)!.vendor));
    free.sort((a, b) => (perVendor.get(a.vendor) ?? 0) - (perVendor.get(b.vendor) ?? 0) || a.name.localeCompare(b.name));
    add.push(free[0].name);
    taken.add(free[0].name);
  }
  return { keep: keep.sort(), add, remove: remove.sort(), lost: lost.sort(), unplaced: replicas - keep.length - add.length };
}
