import type { HostResult } from '../ansible/result.ts';
import { exitCodeOf, summarize } from '../ansible/result.ts';
import { resolveConfig } from '../config/load.ts';
import { summaryLine, table } from './output.ts';

/** The flags every host-driving verb shares. */
export const TARGET_OPTIONS = {
  inventory: { type: 'string', short: 'i' },
  limit: { type: 'string', short: 'l' },
  config: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export function targetOf(values: { config?: string; inventory?: string; limit?: string }) {
  const config = resolveConfig({ config: values.config, inventory: values.inventory });
  return { config, limit: values.limit };
}

/**
 * Progress per host on stderr. On a terminal: one line per host, redrawn in place after every step (the host's last
 * step and result); otherwise plain lines, one per step, for logs and CI.
 */
export function stepPrinter(verb: string, quiet: boolean) {
  const tty = process.stderr.isTTY === true;
  const lines = new Map<string, string>();
  const printed = new Set<string>();
  let drawn = 0;
  return (label: string, results: HostResult[]) => {
    if (quiet || results.length === 0) return;
    if (!tty) {
      // One line per step and host: a step already reported the same way (a deploy's batches, a rollback) is not repeated.
      const fresh = results.filter((r) => !printed.has(`${label}\0${r.host}\0${r.status}`));
      for (const r of fresh) printed.add(`${label}\0${r.host}\0${r.status}`);
      if (fresh.length === 0) return;
      const parts = fresh.map((r) => `${r.host} ${r.status}${r.message ? ` (${r.message})` : ''}`);
      process.stderr.write(`${verb} ${label}: ${parts.join(', ')}\n`);
      return;
    }
    const step = label === verb ? verb : `${verb} ${label}`;
    for (const r of results) lines.set(r.host, `${r.host}  ${step}: ${r.status}${r.message ? ` (${r.message})` : ''}`);
    const width = process.stderr.columns || 100;
    const text = [...lines.keys()].sort().map((host) => `\x1b[2K${lines.get(host)!.slice(0, width - 1)}`);
    process.stderr.write(`${drawn > 0 ? `\x1b[${drawn}A` : ''}${text.join('\n')}\n`);
    drawn = text.length;
  };
}

/** The per-host summary at the end of a run, and ansible's exit code convention (4 unreachable, 2 failed). */
export function finish(results: HostResult[], json: boolean, extra: Record<string, unknown> = {}): number {
  if (json) process.stdout.write(`${JSON.stringify({ ...extra, hosts: results.map(({ host, status, message }) => ({ host, status, message })), summary: summarize(results) }, null, 2)}\n`);
  else {
    process.stdout.write(table(['HOST', 'RESULT', 'MESSAGE'], results.map((r) => [r.host, r.status, r.message || '-'])));
    process.stdout.write(`${summaryLine(summarize(results))}\n`);
  }
  return exitCodeOf(results);
}
