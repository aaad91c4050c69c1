/**
 * The watch's events: what the notify hook gets on stdin (one JSON object) and what `events.jsonl` in the master's
 * state dir keeps (one JSON line each, newest last, for `vzmaster console` and for people with `tail`). The file is
 * rotated to events.jsonl.1 past 1 MiB, so a watch left running for months stays small.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';

export const WATCH_EVENTS = ['host-missed', 'host-lost', 'host-back', 'crash-looping', 'rescheduled', 'surplus-stopped', 'rescheduling-impossible', 'action-failed'] as const;
/** host-missed is logged but not notified: one missed answer is not news (the watch never acts on it either). */
export const NOTIFIED: ReadonlySet<string> = new Set(WATCH_EVENTS.filter((e) => e !== 'host-missed'));

export const watchEventSchema = z.object({
  event: z.enum(WATCH_EVENTS),
  at: z.string(),
  host: z.string().optional(),
  app: z.string().optional(),
  /** Hosts an action gave a replica to, or took one from. */
  hosts: z.array(z.string()).optional(),
  detail: z.string(),
});
export type WatchEvent = z.infer<typeof watchEventSchema>;

const MAX_BYTES = 1 << 20;

export const eventsFile = (stateDir: string) => join(stateDir, 'watch', 'events.jsonl');

export function appendEvents(stateDir: string, events: WatchEvent[]): void {
  if (events.length === 0) return;
  const file = eventsFile(stateDir);
  mkdirSync(join(stateDir, 'watch'), { recursive: true });
  try {
    if (statSync(file).size > MAX_BYTES) renameSync(file, `${file}.1`);
  } catch {
    // no file yet
  }
  // One write per round: lines of one round stay together for a reader.
  appendFileSync(file, events.map((e) => `${JSON.stringify(e)}\n`).join(''));
}

/** The last `count` events (rotated file first), skipping lines that are not events (a torn last line). */
export function readEvents(stateDir: string, count = 100): WatchEvent[] {
  const file = eventsFile(stateDir);
  const lines: string[] = [];
  for (const path of [`${file}.1`, file]) {
    try {
      lines.push(...readFileSync(path, 'utf8').split('\n'));
    } catch {
      // absent
    }
  }
  const events: WatchEvent[] = [];
  for (const line of lines) {
    if (!line) continue;
    try {
      const parsed = watchEventSchema.safeParse(JSON.parse(line));
      if (parsed.success) events.push(parsed.data);
    } catch {
      // not JSON
    }
  }
  return events.slice(-count);
}
