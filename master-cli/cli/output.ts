import type { HostStatus } from '../ansible/result.ts';

/** The one place that knows how vzmaster talks to a person: tables and per-host summaries. */
export { textTable as table } from '../../base/text-table.ts';

export function summaryLine(counts: Record<HostStatus, number>): string {
  return `summary: ok=${counts.ok} changed=${counts.changed} failed=${counts.failed} unreachable=${counts.unreachable}`;
}

export function humanBytes(kib: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = kib;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
