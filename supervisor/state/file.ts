import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { writeAtomic, writeAtomicSync } from '../../base/atomic.ts';

export const DEFAULT_STATE_DIR = '/run/vz/supervisor';

/** The state dir: an explicit one, else $VZ_SUPERVISOR_DIR, else /run/vz/supervisor. */
export function stateDir(explicit?: string): string {
  return explicit ?? process.env.VZ_SUPERVISOR_DIR ?? DEFAULT_STATE_DIR;
}

export const UNIT_STATES = ['starting', 'running', 'stopping', 'backoff', 'crash-loop', 'scheduled', 'stopped', 'exited', 'invalid'] as const;
export type UnitState = (typeof UNIT_STATES)[number];

export const unitRecordSchema = z.object({
  id: z.string(),
  /** The table's action ("respawn", "off", "cron 0 3 * * *"...). */
  wanted: z.string(),
  state: z.enum(UNIT_STATES),
  bundle: z.string(),
  pid: z.number().int().min(0),
  /** Kernel start time of pid: with it a supervisor restart adopts the very process, never a reused pid. */
  startTime: z.number().int().min(0),
  restarts: z.number().int().min(0),
  /** ISO time the current state began. */
  since: z.string(),
  /** When state is running: ISO start of this run. */
  startedAt: z.string().nullable(),
  lastExit: z.object({ code: z.number().nullable(), signal: z.string().nullable(), at: z.string() }).nullable(),
  /** backoff, crash-loop, scheduled: ISO time of the next start. */
  nextTry: z.string().nullable(),
  /** invalid, or a table line in error: the sentence saying what to fix. */
  error: z.string().nullable(),
  /** The restart policy chose to leave it down (exited, or stopped under unless-stopped): a new supervisor keeps it so. */
  held: z.boolean().default(false),
  /** The policy's death tally: survives a supervisor restart. */
  tally: z.object({ restarts: z.number(), streak: z.number(), deaths: z.array(z.number()), loops: z.number() }),
});
export type UnitRecord = z.infer<typeof unitRecordSchema>;

export const supervisorStateSchema = z.object({
  supervisor: z.object({ pid: z.number().int(), startTime: z.number().int(), since: z.string(), table: z.string(), running: z.boolean() }),
  updated: z.string(),
  /** Table lines in error, each naming its line. */
  tableErrors: z.array(z.object({ line: z.number(), id: z.string().optional(), message: z.string() })),
  units: z.array(unitRecordSchema),
});
export type SupervisorState = z.infer<typeof supervisorStateSchema>;

export function stateFile(dir: string): string {
  return join(dir, 'state.json');
}

/** Read the state; undefined when there is none (never run) or it cannot be read. */
export function readState(dir: string): SupervisorState | undefined {
  let text: string;
  try {
    text = readFileSync(stateFile(dir), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = supervisorStateSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

function render(state: SupervisorState): string {
  return `${JSON.stringify(state, null, 1)}\n`;
}

/** Atomic (temp + fsync + rename): a full disk or a crash mid-write leaves the previous state whole. */
export async function writeState(dir: string, state: SupervisorState): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  await writeAtomic(stateFile(dir), render(state));
}

export function writeStateSync(dir: string, state: SupervisorState): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeAtomicSync(stateFile(dir), render(state));
}
