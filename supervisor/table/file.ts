import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeAtomic } from '../../base/atomic.ts';
import { VzError } from '../../base/errors.ts';
import { withLock } from '../../base/lock.ts';
import { type TableEntry, tableEntrySchema } from './schema.ts';
import { type ParsedTable, TABLE_HEADER, parseTable, renderTable, withEntry } from './text.ts';

export const DEFAULT_TABLE_PATH = '/etc/vz/table';

/** The table path: an explicit one, else $VZ_TABLE, else /etc/vz/table. */
export function tablePath(explicit?: string): string {
  return explicit ?? process.env.VZ_TABLE ?? DEFAULT_TABLE_PATH;
}

/** Read and parse a table file; a missing file is an empty table. */
export function readTable(path: string): ParsedTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], errors: [], lines: [] };
    throw new VzError('system', `cannot read the table ${path}: ${(error as Error).message}`);
  }
  return parseTable(text);
}

/**
 * Change one entry under the table's lock and write the file atomically (temp file + fsync + rename): `fn` gets the
 * current entry (undefined when absent) and returns the new one, or undefined to remove it. Returns what fn returned.
 * Comments, blank lines and every other line are kept as written.
 */
export async function updateEntry(
  path: string,
  id: string,
  fn: (current: TableEntry | undefined) => TableEntry | undefined,
): Promise<TableEntry | undefined> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  return withLock(path, `table ${path}`, async () => {
    const table = readTable(path);
    const current = table.entries.find((entry) => entry.id === id);
    const next = fn(current);
    if (next !== undefined && next.id !== id) throw new VzError('usage', `updateEntry: the entry's id "${next.id}" is not "${id}"`);
    if (next === current) return next; // nothing to write
    // Whoever built the entry, only one the table text can hold is written (a newline would split it in two lines).
    const checked = next === undefined ? undefined : tableEntrySchema.safeParse(next);
    if (checked && !checked.success) throw new VzError('usage', `table entry "${id}": ${checked.error.issues[0].message}; nothing was written`);
    let mode = 0o644;
    try {
      mode = statSync(path).mode & 0o777;
    } catch {
      // new file
    }
    const lines = withEntry(table.lines, id, next);
    // A table left without lines keeps the header: a 0-byte table is what a reload takes for a write in progress.
    const text = lines.length === 0 && next === undefined ? TABLE_HEADER : table.lines.length === 0 && next ? renderTable([next]) : renderTable(lines);
    await writeAtomic(path, text, mode);
    return next;
  });
}
