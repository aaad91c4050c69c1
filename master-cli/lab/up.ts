import { existsSync, mkdirSync } from 'node:fs';
import { writeAtomicSync } from '../../base/atomic.ts';
import { VzError } from '../../base/errors.ts';
import { renderLabAnsibleCfg, renderLabInventory } from '../inventory/write.ts';
import { pickAddresses } from './addresses.ts';
import { removeEmptyDir, tearDown } from './down.ts';
import { makeLabKey, prepareHostDir } from './host-dir.ts';
import { hostAlive, launchHost } from './launch.ts';
import { withLabLock } from './lock.ts';
import { checkLabRequirements } from './requirements.ts';
import { checkLabDir, labPaths } from './paths.ts';
import { readLabState, writeLabState, type LabHost, type LabState } from './state.ts';

export interface UpOptions {
  dir: string;
  hosts: number;
  busybox: number;
  vendors: number;
  /** More hosts, after the others, as a vendor hands them over (root password, nothing installed): for newnode. */
  fresh?: number;
}

/** Vendor groups vendor_a, vendor_b, ... round robin, so replicas can be spread over vendors. */
export function vendorName(index: number): string {
  return `vendor_${String.fromCharCode(97 + index)}`;
}

/**
 * Bring up a lab: addresses, key, per-host private dirs, one namespace + init + sshd per host, inventory,
 * ansible.cfg and vzmaster.json. Any failure tears down what was made: nothing half-done stays behind.
 */
export async function labUp(options: UpOptions): Promise<LabState> {
  const dir = checkLabDir(options.dir);
  if (!Number.isInteger(options.hosts) || options.hosts < 1 || options.hosts > 50) throw new VzError('usage', `--hosts ${options.hosts} is out of range: use 1 to 50`);
  if (!Number.isInteger(options.busybox) || options.busybox < 0 || options.busybox > options.hosts)
    throw new VzError('usage', `--busybox ${options.busybox} is out of range: use 0 to --hosts (${options.hosts})`);
  if (!Number.isInteger(options.vendors) || options.vendors < 1 || options.vendors > 26) throw new VzError('usage', `--vendors ${options.vendors} is out of range: use 1 to 26`);
  const fresh = options.fresh ?? 0;
  if (!Number.isInteger(fresh) || fresh < 0 || fresh + options.hosts > 50) throw new VzError('usage', `--fresh ${fresh} is out of range: use 0 to ${50 - options.hosts}`);
  checkLabRequirements({ sysvinit: options.busybox < options.hosts || fresh > 0, busybox: options.busybox > 0, fresh: fresh > 0 });
  const createdDir = !existsSync(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const paths = labPaths(dir);
  let failed = false;
  const state = await withLabLock(paths.lock, async () => {
    const previous = readLabState(paths.state);
    if (previous) {
      if (previous.hosts.some(hostAlive)) throw new VzError('exists', `a lab is already up in ${dir}: run "vzmaster lab down --dir ${dir}" first`);
      await tearDown(paths, previous, { keepDir: true });
    }
    const state: LabState = { version: 1, dir, createdDir: previous?.createdDir ?? createdDir, createdAt: new Date().toISOString(), hosts: [] };
    try {
      const addresses = await pickAddresses(options.hosts + fresh, dir);
      state.hosts = addresses.map(({ address, port }, i): LabHost => ({
        name: `vps${i + 1}`,
        vendor: vendorName(i % options.vendors),
        init: i >= options.hosts - options.busybox && i < options.hosts ? 'busybox' : 'sysvinit',
        address,
        port,
        ...(i >= options.hosts ? { fresh: true } : {}),
      }));
      writeLabState(paths.state, state);
      const publicKey = await makeLabKey(paths);
      await Promise.all(state.hosts.map((host) => prepareHostDir(paths, host, publicKey)));
      // One at a time, each recorded as soon as it runs: a failure later still tears down every started host.
      for (const [i, host] of state.hosts.entries()) {
        state.hosts[i] = await launchHost(paths, host);
        writeLabState(paths.state, state);
      }
      writeLabState(paths.state, state);
      writeAtomicSync(paths.inventory, renderLabInventory(state.hosts, paths.key));
      writeAtomicSync(paths.ansibleCfg, renderLabAnsibleCfg());
      const config = { version: 1, inventory: paths.inventory, stateDir: paths.ansibleState, ansibleConfig: paths.ansibleCfg, forks: 20, connectTimeout: 5, taskTimeout: 60 };
      writeAtomicSync(paths.config, `${JSON.stringify(config, null, 2)}\n`);
      return state;
    } catch (error) {
      failed = true;
      await tearDown(paths, state, { keepDir: true }).catch(() => undefined);
      throw error;
    }
  }).finally(() => {
    // The lock is released now: a dir this call created goes too when the lab could not come up.
    if (failed && createdDir) removeEmptyDir(dir);
  });
  return state;
}
