import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../base/atomic.ts';
import type { StateStore } from '../runch/state/store.ts';
import type { Tally } from './backoff.ts';

/** Beside state.json: `runch init status` reads it, `runch delete` removes it with the rest. */
export function tallyPath(store: StateStore, id: string): string {
  return join(store.dir(id), 'respawn.json');
}

export function readTally(store: StateStore, id: string): Tally | undefined {
  try {
    const data = JSON.parse(readFileSync(tallyPath(store, id), 'utf8')) as Tally;
    return Array.isArray(data.spawns) && data.policy && Array.isArray(data.policy.deaths) ? data : undefined;
  } catch {
    return undefined;
  }
}

export async function writeTally(store: StateStore, id: string, tally: Tally): Promise<void> {
  mkdirSync(store.dir(id), { recursive: true, mode: 0o711 });
  await writeAtomic(tallyPath(store, id), `${JSON.stringify(tally)}\n`);
}
