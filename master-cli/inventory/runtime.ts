import * as z from 'zod';
import { VzError } from '../../base/errors.ts';
import { type Runtime, RUNTIMES } from '../../base/host-contract.ts';
import { loadInventory } from './load.ts';

const runtimeVar = z.enum(RUNTIMES).default('runch');

/**
 * Each host's container runtime from the inventory's `vz_runtime` (a host or group var, as ansible merges them;
 * default runch): runc or crun where the host can give namespaces (a KVM host), runch where it cannot (OpenVZ).
 * A wrong value is refused before anything runs, naming the host, the variable and the allowed values.
 */
export function hostRuntimes(inventoryFile: string): Map<string, Runtime> {
  const runtimes = new Map<string, Runtime>();
  for (const host of loadInventory(inventoryFile).hosts) {
    const parsed = runtimeVar.safeParse(host.vars.vz_runtime);
    if (!parsed.success)
      throw new VzError('invalid-config', `inventory ${inventoryFile}: host "${host.name}" has vz_runtime ${JSON.stringify(host.vars.vz_runtime)}: use ${RUNTIMES.join(', ')}`);
    runtimes.set(host.name, parsed.data);
  }
  return runtimes;
}
