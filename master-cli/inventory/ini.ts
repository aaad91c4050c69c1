import { VzError } from '../../base/errors.ts';
import { addHost, emptyRaw, type RawInventory } from './raw.ts';

/** Split a host line the way ansible's INI plugin does (shlex with comments): whitespace, '…' and "…" quoting, "#" to the end. */
export function splitLine(line: string, where: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | undefined;
  let has = false;
  for (const char of line) {
    if (quote) {
      if (char === quote) quote = undefined;
      else current += char;
    } else if (char === '#' && !has) {
      break;
    } else if (char === '"' || char === "'") {
      quote = char;
      has = true;
    } else if (/\s/.test(char)) {
      if (has) out.push(current);
      current = '';
      has = false;
    } else {
      current += char;
      has = true;
    }
  }
  if (quote) throw new VzError('invalid-config', `${where}: unclosed ${quote} quote`);
  if (has) out.push(current);
  return out;
}

function keyValues(tokens: string[], where: string): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const token of tokens) {
    const eq = token.indexOf('=');
    if (eq <= 0) throw new VzError('invalid-config', `${where}: "${token}" is not key=value`);
    const value = token.slice(eq + 1);
    vars[token.slice(0, eq)] = /^\d+$/.test(value) ? Number(value) : value;
  }
  return vars;
}

/** Parse ansible's INI inventory: [group], [group:vars], [group:children], host lines with key=value vars. */
export function parseIni(text: string, path: string): RawInventory {
  const raw = emptyRaw();
  let section = 'ungrouped';
  let kind: 'hosts' | 'vars' | 'children' = 'hosts';
  text.split('\n').forEach((full, index) => {
    const line = full.trim();
    const where = `inventory ${path} line ${index + 1}`;
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    if (line.startsWith('[')) {
      const match = /^\[([^\]:\s]+)(?::(vars|children))?\]$/.exec(line);
      if (!match) throw new VzError('invalid-config', `${where}: "${line}" is not a [group], [group:vars] or [group:children] header`);
      section = match[1];
      kind = (match[2] as 'vars' | 'children' | undefined) ?? 'hosts';
      if (!raw.groupVars.has(section)) raw.groupVars.set(section, {});
      return;
    }
    const tokens = splitLine(line, where);
    if (kind === 'vars') {
      Object.assign(raw.groupVars.get(section)!, keyValues(tokens, where));
    } else if (kind === 'children') {
      if (tokens.length !== 1) throw new VzError('invalid-config', `${where}: a [${section}:children] line names one group`);
      const parents = raw.parents.get(tokens[0]) ?? new Set<string>();
      parents.add(section);
      raw.parents.set(tokens[0], parents);
    } else {
      if (/\[.*:.*\]/.test(tokens[0])) throw new VzError('invalid-config', `${where}: host ranges like "${tokens[0]}" are not supported: list the hosts one per line`);
      addHost(raw, tokens[0], section, keyValues(tokens.slice(1), where));
    }
  });
  return raw;
}
