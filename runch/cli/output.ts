import { textTable } from '../../base/text-table.ts';

/** The one place that knows how runch talks to a person: warnings, tables. */
export function warnIgnored(fields: string[]): void {
  if (fields.length > 0)
    process.stderr.write(`runch: warning: config.json fields ignored (a chroot runtime cannot honour them): ${fields.join(', ')}\n`);
}

/** runch's tables (list, status): base/text-table.ts with runc's three-space gap. */
export function table(header: string[], rows: string[][]): string {
  return textTable(header, rows, 3);
}
