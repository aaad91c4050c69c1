import * as z from 'zod';
import { constants } from 'node:os';
import { RESTART_POLICIES } from '../../base/restart-policy.ts';

/** Container ids: the same rule as runch's (they name a runch container). */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * The table is text, one entry a line, fields split on ":" and trimmed: a control character (a newline above all)
 * would cut the entry into lines of its own, and a lone surrogate has no UTF-8 bytes to write. Every field is
 * checked here, so every writer (runch enable, runch init add/set, the host contract's apply) refuses it.
 */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
function tableText(field: string) {
  return (value: string, ctx: z.RefinementCtx) => {
    const at = value.search(CONTROL);
    if (at >= 0) {
      const code = value.codePointAt(at)!.toString(16).padStart(2, '0');
      ctx.addIssue({ code: 'custom', message: `${field}: contains a control character (U+${code.toUpperCase().padStart(4, '0')} at position ${at + 1}), which the table cannot hold: use a value without newlines, tabs or other control characters` });
    } else if (LONE_SURROGATE.test(value)) ctx.addIssue({ code: 'custom', message: `${field}: is not valid Unicode text (a lone surrogate): the table cannot hold it` });
    else if (value !== value.trim()) ctx.addIssue({ code: 'custom', message: `${field}: starts or ends with a space, which the table's reader would drop: remove it` });
  };
}

export const ACTIONS = ['respawn', 'once', 'off', 'cron'] as const;
export { RESTART_POLICIES };

/** A cron schedule as node-cron reads it: 5 fields, or 6 with seconds first. Checked fully by node-cron at run time. */
const CRON_PATTERN = /^[0-9A-Za-z*,/?#LW-]+( [0-9A-Za-z*,/?#LW-]+){4,5}$/;

export const DEFAULTS = {
  stopSignal: 'SIGTERM' as NodeJS.Signals,
  stopTimeoutMs: 10_000,
  /** svlogd's anchor is 1 MB x 10; a 512 MB VPS with a 10 GB disk affords 1 MiB x 5 per container (6 MiB worst case). */
  logSize: 1024 * 1024,
  logKeep: 5,
} as const;

export const tableEntrySchema = z
  .object({
    id: z.string().superRefine(tableText('id')).max(64).regex(ID_PATTERN, 'id: use letters, digits, "_", "-" and "." only, starting with a letter or digit'),
    action: z.enum(ACTIONS),
    /** Only for action "cron": 5 fields (minute first) or 6 (seconds first). */
    schedule: z.string().superRefine(tableText('cron schedule')).regex(CRON_PATTERN, 'cron schedule: give 5 or 6 fields, e.g. "*/5 * * * *"').optional(),
    bundle: z.string().superRefine(tableText('bundle')).startsWith('/', 'bundle: give an absolute path').refine((b) => !b.includes(':'), 'bundle: a path without ":"'),
    restart: z.enum(RESTART_POLICIES),
    /** on-failure only: restarts allowed before the entry stays "exited" (undefined: no limit). */
    restartMax: z.number().int().min(0).optional(),
    stopSignal: z.string().superRefine(tableText('stop-signal')).refine((s) => s in constants.signals, 'stop-signal: use a signal name such as TERM, INT, QUIT'),
    stopTimeoutMs: z.number().int().min(0).max(3_600_000),
    logSize: z.number().int().min(0),
    logKeep: z.number().int().min(0).max(1000),
  })
  .refine((e) => (e.action === 'cron') === (e.schedule !== undefined), { message: 'action "cron" needs a schedule ("cron */5 * * * *"); other actions take none' })
  .refine((e) => e.restartMax === undefined || e.restart === 'on-failure', { message: 'restart: a maximum (":N") only goes with on-failure' });

export type TableEntry = z.infer<typeof tableEntrySchema>;
export type Action = TableEntry['action'];
export type RestartPolicy = TableEntry['restart'];

/** The restart policy an action implies when the line names none. */
export function defaultRestart(action: Action): RestartPolicy {
  return action === 'respawn' ? 'always' : 'no';
}

/** A full entry from the few fields a caller cares about; the rest take the defaults. */
export function makeEntry(fields: Pick<TableEntry, 'id' | 'bundle'> & Partial<TableEntry>): TableEntry {
  const action = fields.action ?? 'respawn';
  return tableEntrySchema.parse({
    restart: defaultRestart(action),
    stopSignal: DEFAULTS.stopSignal,
    stopTimeoutMs: DEFAULTS.stopTimeoutMs,
    logSize: DEFAULTS.logSize,
    logKeep: DEFAULTS.logKeep,
    ...fields,
    action,
  });
}
