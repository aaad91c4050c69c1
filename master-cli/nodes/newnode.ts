import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VzError } from '../../base/errors.ts';
import { masterKey } from '../../bootstrap/key.ts';
import type { StepResult } from '../../bootstrap/runner.ts';
import { bootstrapHost, type BootstrapReport } from '../../bootstrap/steps.ts';
import { HOST_RUNCH } from '../app/host-paths.ts';
import { runchInstallCalls } from '../app/ops.ts';
import type { VzConfig } from '../config/schema.ts';
import { addInventoryHost } from '../inventory/add.ts';
import { loadInventory } from '../inventory/load.ts';
import { HOST_NAME } from '../inventory/schema.ts';
import { parseFacts, PROBE_ARGV, type NodeFacts } from './probe.ts';
import { ansibleSession } from './session.ts';

export interface NewNodeOptions {
  address: string;
  port: number;
  name?: string;
  vendor: string;
  user: string;
  password?: string;
  keyFile?: string;
  nodeDist?: string;
  addToInventory: boolean;
  onStep?: (label: string, result: StepResult) => void;
}

export interface NewNodeResult extends BootstrapReport<NodeFacts> {
  name: string;
  group: string;
  inventory: string;
  inventoryChange?: 'added' | 'updated';
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;
const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const USER = /^[a-z_][a-z0-9_-]{0,30}$/;

/** The host's address, checked: it reaches ssh and the inventory, so nothing but an IP or a DNS name passes. */
export function checkAddress(address: string): string {
  if (IPV4.test(address) || DNS_NAME.test(address) || (address.includes(':') && IPV6.test(address))) return address;
  throw new VzError('usage', `newnode: ${JSON.stringify(address)} is not an IP address or host name: e.g. vzmaster newnode 203.0.113.7 -k --vendor acme`);
}

/** The group a vendor's hosts share: placement spreads replicas over groups named vendor_*. */
export function vendorGroup(vendor: string): string {
  const group = vendor.startsWith('vendor_') ? vendor : `vendor_${vendor}`;
  if (!/^vendor_[A-Za-z0-9_]{1,50}$/.test(group)) throw new VzError('usage', `--vendor ${JSON.stringify(vendor)} is invalid: use letters, digits and _ (e.g. --vendor acme)`);
  return group;
}

/** The key every host of the inventory already uses, when they agree on one. */
function inventoryKey(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  let keys: unknown[];
  try {
    keys = loadInventory(path).hosts.map((h) => h.vars.ansible_ssh_private_key_file ?? h.vars.ansible_private_key_file);
  } catch {
    return undefined;
  }
  return keys.length > 0 && keys.every((k) => typeof k === 'string' && k === keys[0]) ? (keys[0] as string) : undefined;
}

/** `newnode`: bootstrap the host, then record it in the inventory (only once it is ready: nothing half-added). */
export async function newNode(config: VzConfig, options: NewNodeOptions): Promise<NewNodeResult> {
  const address = checkAddress(options.address);
  const name = options.name ?? address;
  if (!HOST_NAME.test(name)) throw new VzError('usage', `newnode: host name ${JSON.stringify(name)} is invalid: pass --name with letters, digits, ".", "_" and "-"`);
  if (!USER.test(options.user)) throw new VzError('usage', `newnode: --user ${JSON.stringify(options.user)} is not a valid user name: use lower-case letters, digits, _ and -`);
  if (options.user === 'root') throw new VzError('usage', 'newnode: --user root defeats the point: vz logs in as an ordinary user with sudo (default vz)');
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw new VzError('usage', `newnode: --port ${options.port} is not a port: use 1 to 65535`);
  const group = vendorGroup(options.vendor);
  const { keyFile, publicKey } = await masterKey({ keyFile: options.keyFile, inventoryKey: inventoryKey(config.inventory), stateDir: config.stateDir });
  // bootstrap/ owns the steps; the master hands it what only the master knows: ansible, runch, the facts probe.
  const session = ansibleSession({ stateDir: config.stateDir, ansibleConfig: config.ansibleConfig, connectTimeout: config.connectTimeout, taskTimeout: Math.max(config.taskTimeout, 300) });
  let report: BootstrapReport<NodeFacts>;
  try {
    report = await bootstrapHost({
      name,
      address,
      port: options.port,
      user: options.user,
      password: options.password,
      publicKey,
      keyFile,
      cacheDir: join(config.stateDir, 'cache'),
      nodeDist: options.nodeDist,
      connect: session.connect,
      runch: { install: runchInstallCalls(), path: HOST_RUNCH },
      facts: { call: { module: 'command', args: { argv: PROBE_ARGV } }, parse: parseFacts },
      onStep: options.onStep,
    });
  } finally {
    session.close();
  }
  const result: NewNodeResult = { ...report, name, group, inventory: config.inventory };
  if (options.addToInventory) {
    result.inventoryChange = await addInventoryHost(config.inventory, group, name, {
      ansible_host: address,
      ansible_port: options.port,
      ansible_user: options.user,
      ansible_become: true,
      ansible_ssh_private_key_file: keyFile,
    });
  }
  return result;
}
