/** What a parser found before meaning checks: per host its groups and its own vars; per group its vars. */
export interface RawInventory {
  hosts: Map<string, { groups: Set<string>; vars: Record<string, unknown> }>;
  groupVars: Map<string, Record<string, unknown>>;
  /** child group -> parent groups */
  parents: Map<string, Set<string>>;
}

export function emptyRaw(): RawInventory {
  return { hosts: new Map(), groupVars: new Map(), parents: new Map() };
}

export function addHost(raw: RawInventory, name: string, group: string | undefined, vars: Record<string, unknown>): void {
  const entry = raw.hosts.get(name) ?? { groups: new Set<string>(), vars: {} };
  if (group && group !== 'all' && group !== 'ungrouped') entry.groups.add(group);
  Object.assign(entry.vars, vars);
  raw.hosts.set(name, entry);
}

/** Every group a host is in, through `children` (a host of vendor_a is also in its parent groups). */
export function expandGroups(raw: RawInventory, direct: Set<string>): string[] {
  const out = new Set<string>();
  const visit = (group: string) => {
    if (out.has(group)) return;
    out.add(group);
    for (const parent of raw.parents.get(group) ?? []) visit(parent);
  };
  for (const group of direct) visit(group);
  out.delete('all');
  out.delete('ungrouped');
  return [...out].sort();
}
