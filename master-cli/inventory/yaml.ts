import { parse } from 'yaml';
import { VzError } from '../../base/errors.ts';
import { addHost, emptyRaw, type RawInventory } from './raw.ts';
import { yamlInventorySchema, type YamlGroup } from './schema.ts';

/** Parse ansible's YAML inventory (all: {hosts, vars, children: {vendor_a: {hosts: {...}}}}). */
export function parseYamlInventory(text: string, path: string): RawInventory {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    const first = (error as Error).message.split('\n')[0];
    throw new VzError('invalid-config', `inventory ${path} is not valid YAML: ${first}`);
  }
  const checked = yamlInventorySchema.safeParse(doc ?? {});
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new VzError('invalid-config', `inventory ${path}: ${issue.path.join('.') || 'top level'}: ${issue.message} (expected groups with hosts, vars, children)`);
  }
  const raw = emptyRaw();
  const visit = (name: string, group: YamlGroup | null) => {
    if (!raw.groupVars.has(name)) raw.groupVars.set(name, {});
    if (!group) return;
    Object.assign(raw.groupVars.get(name)!, group.vars ?? {});
    for (const [host, vars] of Object.entries(group.hosts ?? {})) addHost(raw, host, name, vars ?? {});
    for (const [child, inner] of Object.entries(group.children ?? {})) {
      const parents = raw.parents.get(child) ?? new Set<string>();
      parents.add(name);
      raw.parents.set(child, parents);
      visit(child, inner);
    }
  };
  for (const [name, group] of Object.entries(checked.data)) visit(name, group);
  return raw;
}
