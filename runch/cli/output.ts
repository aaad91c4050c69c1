/** The one place that knows how runch talks to a person: warnings, tables. */
export function warnIgnored(fields: string[]): void {
  if (fields.length > 0)
    process.stderr.write(`runch: warning: config.json fields ignored (a chroot runtime cannot honour them): ${fields.join(', ')}\n`);
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('   ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
