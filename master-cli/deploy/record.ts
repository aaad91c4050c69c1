import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { writeAtomic } from '../../base/atomic.ts';

/** What the master remembers of an app between deploys: its image now and before (for rollback). */
const recordSchema = z.object({
  app: z.string(),
  image: z.string(),
  previousImage: z.string().optional(),
  hosts: z.array(z.string()),
  deployedAt: z.string(),
  /** The manifest of the last deploy, so `rollback <app>` needs nothing else. */
  manifest: z.record(z.string(), z.unknown()),
});
export type AppRecord = z.infer<typeof recordSchema>;

function file(stateDir: string, app: string): string {
  return join(stateDir, 'apps', `${app}.json`);
}

export function readRecord(stateDir: string, app: string): AppRecord | undefined {
  try {
    return recordSchema.parse(JSON.parse(readFileSync(file(stateDir, app), 'utf8')));
  } catch {
    return undefined;
  }
}

export async function writeRecord(stateDir: string, record: AppRecord): Promise<void> {
  mkdirSync(join(stateDir, 'apps'), { recursive: true });
  await writeAtomic(file(stateDir, record.app), `${JSON.stringify(record, null, 2)}\n`);
}

/** Every app this master deployed, by name (records that do not parse are skipped, as readRecord does). */
export function listRecords(stateDir: string): AppRecord[] {
  let names: string[];
  try {
    names = readdirSync(join(stateDir, 'apps'));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.json'))
    .map((n) => readRecord(stateDir, n.slice(0, -'.json'.length)))
    .filter((r): r is AppRecord => r !== undefined)
    .sort((a, b) => a.app.localeCompare(b.app));
}
