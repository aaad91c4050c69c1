import type { HostResult } from '../ansible/result.ts';
import { runAdhoc } from '../ansible/run.ts';
import type { VzConfig } from '../config/schema.ts';
import type { Runtime } from '../../base/host-contract.ts';
import { loadInventory } from '../inventory/load.ts';
import { hostRuntimes } from '../inventory/runtime.ts';
import { parseFacts, PROBE_ARGV, type NodeFacts } from './probe.ts';

export interface NodeReport {
  host: string;
  groups: string[];
  address: string;
  port?: number;
  /** The inventory's vz_runtime (default runch): what `vzmaster start` runs apps under on this host. */
  runtime: Runtime;
  status: HostResult['status'];
  message: string;
  facts?: NodeFacts;
}

/** `nodes`: every host's facts in ONE ansible run (the command module with a constant probe as argv). */
export async function collectNodes(config: VzConfig, limit?: string): Promise<{ nodes: NodeReport[]; durationMs: number }> {
  const inventory = loadInventory(config.inventory);
  const outcome = await runAdhoc(
    { inventory: inventory.path, stateDir: config.stateDir, ansibleConfig: config.ansibleConfig },
    { module: 'command', args: { argv: PROBE_ARGV }, limit, forks: config.forks, connectTimeout: config.connectTimeout, taskTimeout: Math.min(config.taskTimeout, 30) },
  );
  const byName = new Map(inventory.hosts.map((h) => [h.name, h]));
  const runtimes = hostRuntimes(config.inventory);
  const nodes = outcome.hosts.map((result): NodeReport => {
    const host = byName.get(result.host);
    const facts = result.status === 'ok' || result.status === 'changed' ? parseFacts(result.result.stdout ?? '') : undefined;
    const status = (result.status === 'ok' || result.status === 'changed') && !facts ? 'failed' : result.status === 'changed' ? 'ok' : result.status;
    const message = status === 'failed' && !result.message ? 'the probe printed nothing vzmaster can read' : result.message;
    return { host: result.host, groups: host?.groups ?? [], address: host?.address ?? '?', port: host?.port, runtime: runtimes.get(result.host) ?? 'runch', status, message, facts };
  });
  return { nodes, durationMs: outcome.durationMs };
}
