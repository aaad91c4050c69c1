import * as z from 'zod';

/**
 * One container as init sees it: the host table's entry (supervisor/table) reduced to what init mode uses.
 * What each init does with the restart policy is policy-table.ts's business.
 */
export const initEntrySchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use letters, digits, "_", "-" and "." only, starting with a letter or digit').max(64),
  bundle: z.string().startsWith('/', 'give an absolute bundle path'),
  action: z.enum(['respawn', 'once', 'off', 'cron']),
  /** inittab's own 1-4 character id; derived from id when absent. */
  inittabId: z.string().regex(/^[A-Za-z0-9]{1,4}$/, 'use 1 to 4 letters or digits').optional(),
  stopSignal: z.string().default('SIGTERM'),
  stopTimeoutMs: z.number().int().min(0).max(3_600_000).default(10_000),
  /** The table's restart policy: systemd honours on-failure natively (policy-table.ts); the rest respawn or run once. */
  restart: z.enum(['no', 'on-failure', 'always', 'unless-stopped']).optional(),
  /** cron only: the 5- or 6-field schedule (systemd renders it as a timer). */
  schedule: z.string().optional(),
  /** on-failure only: restarts allowed before it stays down. */
  restartMax: z.number().int().min(0).optional(),
});
export type InitEntry = z.output<typeof initEntrySchema>;
export type InitEntryInput = z.input<typeof initEntrySchema>;
