import { existsSync, mkdirSync } from 'node:fs';
import { writeAtomicSync } from '../../base/atomic.ts';
import { VzError } from '../../base/errors.ts';
import { renderLabAnsibleCfg } from '../inventory/write.ts';
import { renderLabInventory } from './inventory.ts';
import { pickAddresses } from './addresses.ts';
import { hostCgroupPath } from './cgroup.ts';
import { planHosts, type PlanOptions } from './plan.ts';
import { ensureTree, parseTree } from './trees.ts';
import { removeEmptyDir, tearDown } from './down.ts';
import { makeLabKey, prepareHostDir } from './host-dir.ts';
import { hostAlive, launchHost } from './launch.ts';
import { withLabLock } from './lock.ts';
import { checkLabRequirements } from './requirements.ts';
import { checkLabDir, labPaths } from './paths.ts';
import { readLabState, writeLabState, type LabHost, type LabState } from './state.ts';

export interface UpOptions extends PlanOptions {
  dir: string;
  /** Vendor groups, round robin; default min(hosts, 3). */
  vendors?: number;
  /** More hosts, after the others, as a vendor hands them over (root password, nothing installed): for newnode. */
  fresh?: number;
  /** The fresh hosts' root: a tree word ("bookworm-i386"), else the machine's own /. They run sysvinit. */
  freshTree?: string;
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
  const plan = planHosts(options);
  const count = plan.length;
  const vendors = options.vendors ?? Math.min(count, 3);
  if (!Number.isInteger(vendors) || vendors < 1 || vendors > 26) throw new VzError('usage', `--vendors ${vendors} is out of range: use 1 to 26`);
  const fresh = options.fresh ?? 0;
  if (!Number.isInteger(fresh) || fresh < 0 || fresh + count > 50) throw new VzError('usage', `--fresh ${fresh} is out of range: use 0 to ${50 - count}`);
  const freshTree = options.freshTree === undefined ? undefined : parseTree(options.freshTree, '--fresh-tree');
  if (options.freshTree !== undefined && fresh === 0) throw new VzError('usage', '--fresh-tree names the root of the --fresh hosts: add --fresh F');
  const onMachine = fresh > 0 && !freshTree;
  checkLabRequirements({ inits: new Set([...plan.filter((p) => !p.tree).map((p) => p.init), ...(onMachine ? ['sysvinit' as const] : [])]), fresh: onMachine });
  // Trees first (a missing one is built once, minutes): before any address is claimed or host started.
  for (const tree of new Set([...plan.flatMap((p) => (p.tree ? [p.tree] : [])), ...(fresh > 0 && freshTree ? [freshTree] : [])])) await ensureTree(tree);
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
      const addresses = await pickAddresses(count + fresh, dir);
      state.hosts = addresses.map(({ address, port }, i): LabHost => {
        const name = `vps${i + 1}`;
        const { init, tree } = plan[i] ?? { init: 'sysvinit', tree: freshTree };
        return {
          name,
          vendor: vendorName(i % vendors),
          init,
          address,
          port,
          ...(i >= count ? { fresh: true } : {}),
          ...(tree ? { tree } : {}),
          ...(init === 'systemd' ? { cgroup: hostCgroupPath(dir, name) } : {}),
        };
      });
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
