/** The watch's memory between rounds (misses per host, crash loops, attempts): one JSON file, written atomically. */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { writeAtomic } from '../../base/atomic.ts';
import { EMPTY_STATE, type WatchState } from './decide.ts';

const stateSchema = z.object({
  hosts: z.record(z.string(), z.object({ misses: z.number().int().min(0), lost: z.boolean(), since: z.string().optional() })),
  crashLooping: z.array(z.string()),
  attempts: z.record(z.string(), z.string()),
});

export const stateFile = (stateDir: string) => join(stateDir, 'watch', 'state.json');

/** A missing file is a first round; a damaged one too (the watch then starts counting misses again, which only delays). */
export function readWatchState(stateDir: string): WatchState {
  try {
    return stateSchema.parse(JSON.parse(readFileSync(stateFile(stateDir), 'utf8')));
  } catch {
    return structuredClone(EMPTY_STATE);
  }
}

export async function writeWatchState(stateDir: string, state: WatchState): Promise<void> {
  mkdirSync(join(stateDir, 'watch'), { recursive: true });
  await writeAtomic(stateFile(stateDir), `${JSON.stringify(state, null, 2)}\n`);
}
