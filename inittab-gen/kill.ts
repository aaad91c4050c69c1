import type { StateStore } from '../runch/state/store.ts';
import { STOPPING_SIGNALS } from '../supervisor/edit.ts';
import { logDir } from '../supervisor/logs/file.ts';
import { readTable } from '../supervisor/table/index.ts';
import { editAndApply } from './manage.ts';
import { tablePath } from './table.ts';

import { INIT_MODE_ANNOTATION } from './mode.ts';

/**
 * `runch kill` of a container init respawns: a plain signal would be undone by init at once, so a stopping signal
 * becomes `runch init stop` (entry off, init reloaded, TERM then KILL). Returns false when the container is not in
 * init mode or the signal is not a stopping one: the caller then signals as usual.
 */
export async function killInInitMode(store: StateStore, id: string, signal: NodeJS.Signals, table?: string): Promise<boolean> {
  if (!STOPPING_SIGNALS.has(signal) || !store.exists(id)) return false;
  let mode: string | undefined;
  try {
    mode = store.load(id).annotations[INIT_MODE_ANNOTATION];
  } catch {
    return false;
  }
  const path = tablePath(table);
  if (mode !== 'init' || !readTable(path).entries.some((e) => e.id === id)) return false;
  await editAndApply({ table: path, logDir: logDir(), store }, id, { kind: 'stop' });
  return true;
}
