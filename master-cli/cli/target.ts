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

export function targetOf(values: Record<string, unknown>) {
  const config = resolveConfig({ config: values.config as string | undefined, inventory: values.inventory as string | undefined });
  return { config, limit: values.limit as string | undefined };
}

/** Progress per host as plain lines on stderr (a TTY gets the same: short, one line per step). */
export function stepPrinter(verb: string, quiet: boolean) {
  return (label: string, results: HostResult[]) => {
    if (quiet) return;
    const parts = results.map((r) => `${r.host} ${r.status}${r.message ? ` (${r.message})` : ''}`);
    process.stderr.write(`${verb} ${label}: ${parts.join(', ')}\n`);
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
