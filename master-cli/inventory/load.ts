import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { VzError } from '../../base/errors.ts';
import { parseIni } from './ini.ts';
import { expandGroups, type RawInventory } from './raw.ts';
import { GROUP_NAME, HOST_NAME, inventoryHostSchema, type Inventory, type InventoryHost } from './schema.ts';
import { parseYamlInventory } from './yaml.ts';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Read and check an inventory file, INI or YAML as ansible reads them. Why vzmaster reads it too: ansible treats
 * a missing or unparsable inventory as "no hosts" and succeeds; vzmaster refuses it with one line instead, and
 * needs each host's address and vendor groups for its own reports.
 */
export function loadInventory(file: string): Inventory {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code})`;
    throw new VzError('not-found', `inventory ${path} ${why}: pass -i FILE or run "vzmaster lab up"`);
  }
  const format = inventoryFormat(path, text);
  const raw = format === 'yaml' ? parseYamlInventory(text, path) : parseIni(text, path);
  return { path, format, hosts: checkHosts(raw, path) };
}

function checkHosts(raw: RawInventory, path: string): InventoryHost[] {
  for (const group of raw.groupVars.keys())
    if (!GROUP_NAME.test(group)) throw new VzError('invalid-config', `inventory ${path}: group name "${group}" is invalid: use letters, digits and _`);
  if (raw.hosts.size === 0) throw new VzError('invalid-config', `inventory ${path} lists no hosts: add at least one host line`);
  const hosts: InventoryHost[] = [];
  for (const [name, entry] of raw.hosts) {
    if (!HOST_NAME.test(name))
      throw new VzError('invalid-config', `inventory ${path}: host name ${JSON.stringify(name)} is invalid: use letters, digits, ".", "_" and "-"`);
    const groups = expandGroups(raw, entry.groups);
    const vars: Record<string, unknown> = {};
    for (const group of ['all', ...groups]) Object.assign(vars, raw.groupVars.get(group) ?? {});
    Object.assign(vars, entry.vars);
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

/** YAML by extension, or when the first meaningful line is a "name:" key; otherwise INI, as ansible guesses. */
export function inventoryFormat(path: string, text: string): 'ini' | 'yaml' {
  if (/\.(ya?ml|json)$/.test(path)) return 'yaml';
  const first = text.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('#') && !l.startsWith(';')) ?? '';
  return /^[A-Za-z_][\w-]*\s*:(\s|$)/.test(first) && !first.includes('=') ? 'yaml' : 'ini';
}
