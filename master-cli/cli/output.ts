import type { HostStatus } from '../ansible/result.ts';

/** The one place that knows how vzmaster talks to a person: tables and per-host summaries. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

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
