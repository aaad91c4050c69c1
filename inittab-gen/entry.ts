import * as z from 'zod';

/**
 * One container as init sees it. A local shape until supervisor/table lands: the host table's entries carry at
 * least these fields (id, bundle, action, stop signal/timeout, log), so the adapter is a field-for-field copy.
 */
export const initEntrySchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use letters, digits, "_", "-" and "." only, starting with a letter or digit').max(64),
  bundle: z.string().startsWith('/', 'give an absolute bundle path'),
  action: z.enum(['respawn', 'once', 'off', 'cron']),
  /** inittab's own 1-4 character id; derived from id when absent (pin one to settle a collision). */
  inittabId: z.string().regex(/^[A-Za-z0-9]{1,4}$/, 'use 1 to 4 letters or digits').optional(),
  stopSignal: z.string().default('SIGTERM'),
  stopTimeoutMs: z.number().int().min(0).max(600_000).default(10_000),
  /** Where the container's stdout and stderr go (appended). */
  logPath: z.string().startsWith('/', 'give an absolute log path').optional(),
  backoffBaseMs: z.number().int().min(0).max(60_000).default(200),
  backoffCapMs: z.number().int().min(0).max(600_000).default(30_000),
});
export type InitEntry = z.output<typeof initEntrySchema>;
export type InitEntryInput = z.input<typeof initEntrySchema>;

export const initTableSchema = z.object({ entries: z.array(initEntrySchema) });
export type InitTable = z.output<typeof initTableSchema>;

/** Where an entry's output goes when the table does not say. */
export function logPathOf(entry: Pick<InitEntry, 'id' | 'logPath'>): string {
  return entry.logPath ?? `/var/log/vz/${entry.id}.log`;
}
