import { VzError } from '../../base/errors.ts';
import { loadInventory } from '../inventory/load.ts';
import { hostRuntimes } from '../inventory/runtime.ts';

export type HostMode = 'init' | 'supervisor';

/**
 * Each host's mode from the inventory's `vz_mode` var (host or group var; default init): init respawns each app
 * itself, or one `runch supervise` runs them all. Read on the master because an ad-hoc call sends one argv to
 * every host; a wrong value is refused before anything runs.
 */
export function hostModes(inventoryFile: string): Map<string, HostMode> {
  const modes = new Map<string, HostMode>();
  hostRuntimes(inventoryFile); // the other host var a start sends: a bad vz_runtime is refused here too, before anything runs
  for (const host of loadInventory(inventoryFile).hosts) {
    const value = host.vars.vz_mode ?? 'init';
    if (value !== 'init' && value !== 'supervisor')
      throw new VzError('invalid-config', `inventory ${inventoryFile}: host "${host.name}" has vz_mode ${JSON.stringify(value)}: use init or supervisor`);
    modes.set(host.name, value);
  }
  return modes;
}

/** Hosts grouped by mode, each group in the order given (one call per mode present, usually one). */
export function byMode(hosts: string[], modes: Map<string, HostMode>): [HostMode, string[]][] {
  const groups = new Map<HostMode, string[]>();
  for (const host of hosts) {
    const mode = modes.get(host) ?? 'init';
    groups.set(mode, [...(groups.get(mode) ?? []), host]);
  }
  return [...groups.entries()];
}
