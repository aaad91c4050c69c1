/**
 * The one table printer of every vz binary: a header and rows, columns padded to their widest cell, the last column
 * unpadded (no trailing blanks), `gap` spaces between columns. Pure.
 */
export function textTable(header: string[], rows: string[][], gap = 2): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join(' '.repeat(gap));
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
