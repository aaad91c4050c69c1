import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { VzError } from '../../base/errors.ts';
import { ansibleBinary } from '../ansible/env.ts';
import { forwardWarnings } from '../ansible/warnings.ts';
import { firstWarning, listInventory, type InventoryAnsible } from './list.ts';
import { GROUP_NAME, HOST_NAME, inventoryHostSchema, inventoryListSchema, listGroupSchema, type Inventory, type InventoryHost } from './schema.ts';

export { setInventoryAnsible, type InventoryAnsible } from './list.ts';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** One ansible-inventory run per inventory per vzmaster run (it starts python: ~0.5 s); a changed file is read again. */
const cache = new Map<string, Inventory>();

/**
 * Read and check an inventory as ansible reads it (ansible-inventory --list: any format, group_vars/ and host_vars/
 * merged). Why vzmaster checks it too: ansible treats a missing inventory as "no hosts" and succeeds; vzmaster refuses
 * it with one line instead, refuses what it would misuse (names, addresses, ports), and needs each host's address,
 * vendor groups and vars (vz_mode) for its own decisions and reports.
 */
export function loadInventory(file: string, ansible?: InventoryAnsible): Inventory {
  const path = resolve(file);
  let stamp: string;
  try {
    const stat = statSync(path);
    stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`;
    throw new VzError('not-found', `inventory ${path} ${why}: pass -i FILE or run "vzmaster lab up"`);
  }
  const key = `${ansibleBinary(ansible?.ansibleBin)}\0${path}\0${stamp}`;
  const known = cache.get(key);
  if (known) return known;
  const { data, stderr } = listInventory(path, ansible);
  const inventory = { path, hosts: checkHosts(data, path, stderr) };
  forwardWarnings(stderr);
  for (const old of cache.keys()) if (old.split('\0')[1] === path) cache.delete(old);
  cache.set(key, inventory);
  return inventory;
}

/** Drop what was read of an inventory (newnode just edited it). */
export function forgetInventory(file: string): void {
  const path = resolve(file);
  for (const key of cache.keys()) if (key.split('\0')[1] === path) cache.delete(key);
}

/** ansible-inventory shows unsafe values (`!unsafe`) as {"__ansible_unsafe": value}: the value is what a host gets. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && entries[0][0] === '__ansible_unsafe') return plain(entries[0][1]);
    return Object.fromEntries(entries.map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/** Hosts with their merged vars and every group they are in (direct, and each parent through children). */
function hostsAndGroups(data: unknown, path: string): Map<string, { groups: string[]; vars: Record<string, unknown> }> {
  const listed = inventoryListSchema.safeParse(data);
  if (!listed.success) throw new VzError('system', `inventory ${path}: ansible-inventory printed JSON vzmaster cannot read`);
  const hostvars = listed.data._meta?.hostvars ?? {};
  const direct = new Map<string, Set<string>>();
  const parents = new Map<string, Set<string>>();
  for (const [group, value] of Object.entries(listed.data)) {
    if (group === '_meta') continue;
    const entry = listGroupSchema.safeParse(value);
    if (!entry.success) throw new VzError('system', `inventory ${path}: ansible-inventory printed group "${group}" in a shape vzmaster cannot read`);
    for (const host of entry.data.hosts ?? []) direct.set(host, (direct.get(host) ?? new Set()).add(group));
    for (const child of entry.data.children ?? []) parents.set(child, (parents.get(child) ?? new Set()).add(group));
  }
  const out = new Map<string, { groups: string[]; vars: Record<string, unknown> }>();
  for (const host of new Set([...Object.keys(hostvars), ...direct.keys()])) {
    const groups = new Set<string>();
    const visit = (group: string) => {
      if (groups.has(group)) return;
      groups.add(group);
      for (const parent of parents.get(group) ?? []) visit(parent);
    };
    for (const group of direct.get(host) ?? []) visit(group);
    groups.delete('all');
    groups.delete('ungrouped');
    out.set(host, { groups: [...groups].sort(), vars: plain(hostvars[host] ?? {}) as Record<string, unknown> });
  }
  return out;
}

function checkHosts(data: unknown, path: string, stderr: string): InventoryHost[] {
  const found = hostsAndGroups(data, path);
  if (found.size === 0) {
    const hint = firstWarning(stderr);
    throw new VzError('invalid-config', `inventory ${path} lists no hosts: add at least one host${hint ? ` (ansible: ${hint})` : ''}`);
  }
  const hosts: InventoryHost[] = [];
  for (const [name, { groups, vars }] of [...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!HOST_NAME.test(name))
      throw new VzError('invalid-config', `inventory ${path}: host name ${JSON.stringify(name)} is invalid: use letters, digits, ".", "_" and "-"`);
    for (const group of groups)
      if (!GROUP_NAME.test(group)) throw new VzError('invalid-config', `inventory ${path}: group name "${group}" is invalid: use letters, digits and _`);
    const address = vars.ansible_host ?? (IPV4.test(name) || name.includes('.') ? name : undefined);
    if (address === undefined || address === '')
      throw new VzError('invalid-config', `inventory ${path}: host "${name}" has no address: set ansible_host=<ip> on its line`);
    if (typeof address !== 'string' || /[\s"'`$;{}\\]/.test(address))
      throw new VzError('invalid-config', `inventory ${path}: host "${name}" has an invalid ansible_host ${JSON.stringify(address)}`);
    const port = vars.ansible_port ?? vars.ansible_ssh_port;
    const portNumber = port === undefined ? undefined : Number(port);
    const checked = inventoryHostSchema.safeParse({ name, address, port: portNumber, groups, vars });
    if (!checked.success) {
      const field = checked.error.issues[0].path.join('.');
      const what = field === 'port' ? `ansible_port ${JSON.stringify(port)} is not a port (1-65535)` : `${field} is invalid`;
      throw new VzError('invalid-config', `inventory ${path}: host "${name}": ${what}`);
    }
    hosts.push(checked.data);
  }
  return hosts;
}
