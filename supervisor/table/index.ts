/**
 * The host table: what should run on this host, one container per line, inittab-style.
 *
 *     # comments and blank lines are kept on rewrite
 *     web:respawn:/var/lib/vz/bundles/web:restart=on-failure:5,stop-signal=INT,stop-timeout=20s
 *     backup:cron 0 3 * * *:/var/lib/vz/bundles/backup
 *     old:off:/var/lib/vz/bundles/old
 *
 * Fields `id:action:bundle[:options]`; action respawn | once | off | cron <schedule>; options (comma-separated,
 * defaults omitted) restart=no|on-failure[:max]|always|unless-stopped, stop-signal, stop-timeout, log-size, log-keep.
 *
 * API (pure unless it says file):
 *   parseTable(text)            -> { entries, errors, lines }   a bad line is an error naming its line; others load
 *   renderTable(entries|lines)  -> text                         lines: byte-for-byte except changed entries
 *   renderEntry(entry), parseLine(line)                         one line each way
 *   withEntry(lines, id, entry|undefined) -> lines              pure edit (add, replace, remove)
 *   tableEntrySchema, TableEntry, makeEntry(fields), DEFAULTS   zod schema, type, defaults
 *   readTable(path)             file: missing -> empty table
 *   updateEntry(path, id, fn)   file: locked (<path>.lock) and atomic (temp + fsync + rename)
 *   tablePath(explicit?)        explicit, else $VZ_TABLE, else /etc/vz/table
 */
export { ACTIONS, DEFAULTS, RESTART_POLICIES, defaultRestart, makeEntry, tableEntrySchema } from './schema.ts';
export type { Action, RestartPolicy, TableEntry } from './schema.ts';
export { TABLE_HEADER, parseLine, parseTable, renderEntry, renderTable, withEntry } from './text.ts';
export type { ParsedTable, TableError, TableLine } from './text.ts';
export { DEFAULT_TABLE_PATH, readTable, tablePath, updateEntry } from './file.ts';
