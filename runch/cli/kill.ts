import { existsSync } from 'node:fs';
import { killContainer } from '../container/kill.ts';
import { VzError } from '../../base/errors.ts';
import { parseSignal } from '../../base/signals.ts';
import type { Command } from './command.ts';
import { requireId } from './command.ts';

/**
 * A supervised container (an entry of the host table) killed with a stopping signal is first set `off` in the
 * table: otherwise its supervisor would restart it, undoing the kill. Other signals (HUP, USR1...) pass as is.
 */
async function setOffIfSupervised(id: string, signal: NodeJS.Signals, table: string | undefined): Promise<boolean> {
  const { tablePath } = await import('../../supervisor/table/file.ts');
  const path = tablePath(table);
  if (!existsSync(path)) return false;
  const { STOPPING_SIGNALS, disableEntry } = await import('../../supervisor/edit.ts');
  if (!STOPPING_SIGNALS.has(signal)) return false;
  const { readTable } = await import('../../supervisor/table/file.ts');
  if (!readTable(path).entries.some((entry) => entry.id === id)) return false;
  const { stateDir } = await import('../../supervisor/state/file.ts');
  await disableEntry(id, path, stateDir());
  return true;
}

export const kill: Command = {
  name: 'kill',
  summary: 'send a signal (default SIGTERM) to a container\'s process (a supervised one is set off first)',
  usage: 'runch kill [--all] [--table FILE] <id> [SIGNAL]\n  example: runch kill web1 KILL',
  options: { all: { type: 'boolean', short: 'a', default: false }, table: { type: 'string' } },
  async run({ values, positionals, store }) {
    const id = requireId(kill, positionals);
    // A container init respawns (init mode) is stopped through init, or init would undo the kill at once.
    const { killInInitMode } = await import('../../inittab-gen/kill.ts');
    if (await killInInitMode(store, id, parseSignal(positionals[1]), values.table as string | undefined)) return 0;
    const supervised = await setOffIfSupervised(id, parseSignal(positionals[1]), values.table as string | undefined);
    try {
      await killContainer(store, id, positionals[1], values.all as boolean);
    } catch (error) {
      // Set off while between runs (backoff, crash-loop) or stopped by its supervisor first: nothing left to signal.
      if (supervised && error instanceof VzError && (error.code === 'not-found' || error.code === 'bad-state')) return 0;
      throw error;
    }
    return 0;
  },
};
