import { z } from 'zod';
import type { HostEvent } from './results-plugin.ts';

/** The part of a module result vzmaster reads; anything else a module returns is kept but not trusted. */
export const moduleResultSchema = z
  .object({
    changed: z.boolean().optional(),
    failed: z.boolean().optional(),
    unreachable: z.boolean().optional(),
    skipped: z.boolean().optional(),
    msg: z.unknown().optional(),
    rc: z.number().optional(),
    stdout: z.string().optional(),
    stderr: z.string().optional(),
  })
  .passthrough();

export type ModuleResult = z.infer<typeof moduleResultSchema>;

export type HostStatus = 'ok' | 'changed' | 'failed' | 'unreachable';

export interface HostResult {
  host: string;
  status: HostStatus;
  /** One line for a person: why it failed or could not be reached. */
  message: string;
  result: ModuleResult;
}

/**
 * Why: one per-host verdict, the way ansible itself counts ok/changed/failed/unreachable. The event type comes
 * from vzmaster's results plugin (results-plugin.ts: callbacks see results with `failed` stripped); without it, the
 * result's own flags and a non-zero rc decide.
 */
export function classify(host: string, raw: unknown, event?: HostEvent): HostResult {
  const parsed = moduleResultSchema.safeParse(raw);
  if (!parsed.success) return { host, status: 'failed', message: 'ansible wrote a result vzmaster cannot read', result: {} };
  const result = parsed.data;
  const unreachable = event === 'unreachable' || (event === undefined && result.unreachable === true);
  const failed = event === 'failed' || (event === undefined && (result.failed === true || (typeof result.rc === 'number' && result.rc !== 0)));
  const status: HostStatus = unreachable ? 'unreachable' : failed ? 'failed' : result.changed ? 'changed' : 'ok';
  return { host, status, message: status === 'ok' || status === 'changed' ? '' : oneLine(result), result };
}

function oneLine(result: ModuleResult): string {
  const text = typeof result.msg === 'string' && result.msg ? result.msg : result.stderr || (result.msg === undefined ? '' : JSON.stringify(result.msg));
  const line = text.split('\n').map((s) => s.trim()).find((s) => s.length > 0) ?? 'no message';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/**
 * Ad-hoc calls have no `changed_when`, and the command and raw modules always report changed: a result whose
 * program says it changed nothing (changedWhen false) is ok.
 */
export function settleChanged(r: HostResult, changedWhen: (r: HostResult) => boolean): HostResult {
  return r.status === 'changed' && !changedWhen(r) ? { ...r, status: 'ok' } : r;
}

/** Exit code of a run, ansible's convention: 4 when any host was unreachable, 2 when any failed, else 0. */
export function exitCodeOf(results: HostResult[]): number {
  if (results.some((r) => r.status === 'unreachable')) return 4;
  if (results.some((r) => r.status === 'failed')) return 2;
  return 0;
}

export function summarize(results: HostResult[]): Record<HostStatus, number> {
  const counts: Record<HostStatus, number> = { ok: 0, changed: 0, failed: 0, unreachable: 0 };
  for (const r of results) counts[r.status]++;
  return counts;
}
