import { readFileSync, statSync } from 'node:fs';
import { isMap, parseDocument, type Document } from 'yaml';
import { writeAtomicSync } from '../../base/atomic.ts';
import { VzError } from '../../base/errors.ts';
import { withLock } from '../../base/lock.ts';
import { inventoryFormat } from './format.ts';
import { forgetInventory } from './load.ts';
import { GROUP_NAME, HOST_NAME } from './schema.ts';

export type HostVars = Record<string, string | number | boolean>;

/**
 * Add a host to an inventory file, or update it where it already is (a rerun of newnode), keeping every other line:
 * YAML through the yaml library's document model (comments and order stay), INI by inserting or replacing one line in
 * its group's section. Locked and written atomically, with the file's own mode.
 */
export async function addInventoryHost(path: string, group: string, name: string, vars: HostVars): Promise<'added' | 'updated'> {
  if (!GROUP_NAME.test(group)) throw new VzError('usage', `group ${JSON.stringify(group)} is invalid: use letters, digits and _ (e.g. vendor_hetzner)`);
  if (!HOST_NAME.test(name)) throw new VzError('usage', `host name ${JSON.stringify(name)} is invalid: use letters, digits, ".", "_" and "-"`);
  return withLock(path, `inventory ${path}`, async () => {
    let text = '';
    let mode = 0o644;
    try {
      text = readFileSync(path, 'utf8');
      mode = statSync(path).mode & 0o777;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new VzError('system', `inventory ${path} cannot be read: ${(error as Error).message}`);
    }
    const result = inventoryFormat(path, text) === 'yaml' ? addYaml(text, path, group, name, vars) : addIni(text, path, group, name, vars);
    writeAtomicSync(path, result.text, mode);
    forgetInventory(path);
    return result.how;
  });
}

function addYaml(text: string, path: string, group: string, name: string, vars: HostVars) {
  const doc: Document = parseDocument(text === '' ? 'all:\n  children: {}\n' : text);
  if (doc.errors.length > 0) throw new VzError('invalid-config', `inventory ${path} is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const children = doc.getIn(['all', 'children']);
  for (const other of isMap(children) ? children.items.map((pair) => String((pair.key as { value?: unknown })?.value ?? pair.key)) : [])
    if (other !== group && doc.hasIn(['all', 'children', other, 'hosts', name]))
      throw new VzError('exists', `host ${name} is already in group ${other} of ${path}: pass --vendor ${other}, or remove it there first`);
  const how = doc.hasIn(['all', 'children', group, 'hosts', name]) ? 'updated' : 'added';
  doc.setIn(['all', 'children', group, 'hosts', name], doc.createNode(vars));
  return { text: doc.toString(), how } as const;
}

/** INI values cannot be quoted safely for every parser: refuse what would need quoting. */
function iniValue(key: string, value: string | number | boolean): string {
  const text = String(value);
  if (/[\s'"=#;\\]/.test(text) || text === '') throw new VzError('usage', `${key} ${JSON.stringify(text)} cannot be written to an INI inventory (spaces, quotes, = # ;): use a YAML inventory`);
  return `${key}=${text}`;
}

function addIni(text: string, path: string, group: string, name: string, vars: HostVars) {
  const line = [name, ...Object.entries(vars).map(([k, v]) => iniValue(k, v))].join(' ');
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  let section = 'ungrouped';
  let sectionEnd = -1;
  let existing = -1;
  for (const [i, raw] of lines.entries()) {
    const trimmed = raw.trim();
    const header = /^\[([^\]]+)\]$/.exec(trimmed);
    if (header) {
      section = header[1];
      continue;
    }
    if (section === group && trimmed && !trimmed.startsWith('#') && !trimmed.startsWith(';')) sectionEnd = i;
    if (section.includes(':') || trimmed.split(/\s+/)[0] !== name) continue;
    if (section !== group) throw new VzError('exists', `host ${name} is already in group ${section} of ${path}: pass --vendor ${section}, or remove it there first`);
    existing = i;
  }
  if (existing >= 0) lines[existing] = line;
  else if (sectionEnd >= 0) lines.splice(sectionEnd + 1, 0, line);
  else if (lines.some((l) => l.trim() === `[${group}]`)) lines.splice(lines.findIndex((l) => l.trim() === `[${group}]`) + 1, 0, line);
  else lines.push(...(lines.length > 0 && lines[lines.length - 1].trim() !== '' ? [''] : []), `[${group}]`, line);
  return { text: `${lines.join('\n')}\n`, how: existing >= 0 ? 'updated' : 'added' } as const;
}
