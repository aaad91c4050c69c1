import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import { writeAtomic } from '../runch/lib/atomic.ts';
import { VzError } from '../runch/lib/errors.ts';
import { type InitEntry, type InitTable, initTableSchema } from './entry.ts';

/**
 * The interim host table for init mode (JSON), until supervisor/table lands: then this module becomes an adapter
 * from that table's entries to InitEntry and the file below goes away.
 */
export const DEFAULT_TABLE = '/etc/vz/init.json';

export function loadTable(path: string): InitTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [] };
    throw new VzError('system', `cannot read the table ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new VzError('invalid-config', `the table ${path} is not valid JSON (${(error as Error).message}): fix the file`);
  }
  const parsed = initTableSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new VzError('invalid-config', `the table ${path}: ${issue.path.join('.') || 'top level'}: ${issue.message}`);
  }
  return parsed.data;
}

export async function saveTable(path: string, table: InitTable): Promise<void> {
  try {
    mkdirSync(dirname(path), { recursive: true });
    await writeAtomic(path, `${JSON.stringify(table, null, 2)}\n`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new VzError(
      'system',
      `cannot write the table ${path} (${code === 'EROFS' ? 'read-only file system' : (error as Error).message}): remount ${dirname(path)} read-write; nothing was changed`,
    );
  }
}

export function findEntry(table: InitTable, id: string, path: string): InitEntry {
  const entry = table.entries.find((e) => e.id === id);
  if (!entry) throw new VzError('not-found', `no entry "${id}" in the table ${path}: add it with "runch init add ${id} --bundle DIR"`);
  return entry;
}
