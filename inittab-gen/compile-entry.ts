import { logPath } from '../supervisor/logs/file.ts';
import { readTable } from '../supervisor/table/index.ts';
import type { StateStore } from '../runch/state/store.ts';
import { mountNamespaceUsable } from '../runch/container/mountns.ts';
import type { InitEntry } from './entry.ts';
import { compileLauncher } from './launcher.ts';
import type { Launcher } from './process-field.ts';

export interface CompileHost {
  table: string;
  logDir: string;
  store: StateStore;
}

/** Compile the launcher of each entry init runs (apply, set, the host contract's apply: all through applyHost). */
export async function compileEntries(host: CompileHost, entries: InitEntry[], launcher: Launcher): Promise<{ id: string; error?: Error }[]> {
  const table = readTable(host.table).entries;
  host.store.ensureRoot(); // the probe's answer is cached there, for the launchers to read
  const mountNamespace = await mountNamespaceUsable(host.store.root);
  const results: { id: string; error?: Error }[] = [];
  for (const entry of entries) {
    if (entry.action === 'off') continue; // cron too: systemd's timer starts the same launcher
    const row = table.find((e) => e.id === entry.id);
    const { error } = await compileLauncher({
      store: host.store,
      id: entry.id,
      bundle: entry.bundle,
      table: host.table,
      logPath: logPath(host.logDir, entry.id),
      logSize: row?.logSize ?? 0,
      mountNamespace,
      runch: {
        // RUNCH_LAUNCHER_NODE: the node a launcher calls when something changed (default: the one running runch).
        node: process.env.RUNCH_LAUNCHER_NODE || launcher.node,
        runch: launcher.runch,
        root: launcher.hostConfig ? undefined : launcher.root,
        table: launcher.hostConfig ? undefined : launcher.table,
        logDir: launcher.hostConfig ? undefined : launcher.logDir,
      },
    });
    results.push({ id: entry.id, error });
  }
  return results;
}
