import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeAtomic } from '../base/atomic.ts';
import { VzError } from '../base/errors.ts';
import type { InitEntry } from './entry.ts';

/**
 * A host runs in one of two modes: `init` (each container its own respawn entry, nothing of vz resident) or
 * `supervisor` (init respawns one `runch supervise`, which runs the containers). Kept in a file so every runch
 * call renders the same thing; absent means init.
 */
export type HostMode = 'init' | 'supervisor';
export const MODE_FILE = '/etc/vz/mode';

/**
 * The mode file of a table: `mode` beside it (/etc/vz/table -> /etc/vz/mode). The mode says who runs that table's
 * entries, so a host whose vz files all live elsewhere (vzmaster: /var/lib/vz/table) keeps its mode there too.
 */
export function modeFile(table: string): string {
  return join(dirname(table), 'mode');
}
/** Containers exec'd by `runch init exec` carry this annotation in their runch state. */
export const INIT_MODE_ANNOTATION = 'vz.mode';
/** The one entry of supervisor mode. */
export const SUPERVISOR_ID = 'vz-supervise';

export function readMode(path = MODE_FILE): HostMode {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch {
    return 'init';
  }
  if (text === 'init' || text === 'supervisor') return text;
  throw new VzError('invalid-config', `${path} says "${text.slice(0, 40)}": write "init" or "supervisor" in it (or use "runch init mode init|supervisor")`);
}

export async function writeMode(mode: HostMode, path = MODE_FILE): Promise<void> {
  try {
    await writeAtomic(path, `${mode}\n`);
  } catch (error) {
    throw new VzError('system', `cannot write ${path} (${(error as NodeJS.ErrnoException).code === 'EROFS' ? 'read-only file system' : (error as Error).message}): nothing was changed`);
  }
}

export const supervisorEntry: InitEntry = { id: SUPERVISOR_ID, bundle: '/', action: 'respawn', stopSignal: 'SIGTERM', stopTimeoutMs: 60_000 };
