/**
 * What the console's page asks for, answered through the same code as the verbs: `top` for hosts and apps (one
 * round trip), `nodes` for each host's init and OS (cached a minute: they change when a host is rebuilt, not between
 * two refreshes), `logs`, the watch's events, and the actions start, stop, deploy and rollback. There is no second
 * path to the hosts: every figure comes from the host contract over Ansible, as on the command line.
 */
import * as z from 'zod';
import { VzError } from '../../base/errors.ts';
import type { RunTarget } from '../ansible/run.ts';
import { hostCall, settleFromAnswer } from '../app/host-command.ts';
import { collectLogs } from '../app/logs.ts';
import { newSteps, stopApp } from '../app/ops.ts';
import { collectTop } from '../app/top.ts';
import type { VzConfig } from '../config/schema.ts';
import { deploy, rollback } from '../deploy/deploy.ts';
import { manifestSchema } from '../deploy/manifest.ts';
import { listRecords, readRecord } from '../deploy/record.ts';
import { loadInventory } from '../inventory/load.ts';
import { hostRuntimes } from '../inventory/runtime.ts';
import { collectNodes } from '../nodes/nodes.ts';
import { readEvents } from '../watch/events.ts';

const APP = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const HOST = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const actionSchema = z
  .object({
    action: z.enum(['start', 'stop', 'deploy', 'rollback']),
    app: z.string().regex(APP, 'an app name: 1-32 lower-case letters, digits, "_" or "-"'),
    /** start and stop: one host (the row's), else every host. */
    host: z.string().regex(HOST, 'a host name of the inventory').optional(),
  })
  .strict();
export type Action = z.infer<typeof actionSchema>;

export interface Overview {
  at: string;
  hosts: {
    host: string;
    vendor: string;
    init: string;
    os: string;
    runtime: string;
    mode?: string;
    reachable: boolean;
    error?: string;
    load?: number;
    memAvailableBytes?: number;
    memTotalBytes?: number;
    diskFreeBytes?: number;
    vzRssBytes?: number;
  }[];
  apps: { app: string; host: string; wanted: string; state: string; restarts: number; cpuPct: number; rssBytes: number; version: string; uptimeS?: number }[];
  /** Apps this master deployed (deploy and rollback act on these). */
  deployed: { app: string; replicas?: number; hosts: string[]; image: string; previousImage?: string; deployedAt: string }[];
}

export class ConsoleApi {
  private nodes?: { at: number; byHost: Map<string, { init: string; os: string }> };

  private readonly config: VzConfig;

  constructor(config: VzConfig) {
    this.config = config;
  }

  private get target(): RunTarget {
    return this.config;
  }

  private async nodeFacts(): Promise<Map<string, { init: string; os: string }>> {
    if (this.nodes && Date.now() - this.nodes.at < 60_000) return this.nodes.byHost;
    const { nodes } = await collectNodes(this.config);
    const byHost = new Map(nodes.map((n) => [n.host, { init: n.facts?.init ?? '?', os: n.facts?.os ?? '?' }]));
    // A host that did not answer is asked again next time, not remembered as unknown for a minute.
    if (nodes.every((n) => n.facts)) this.nodes = { at: Date.now(), byHost };
    return byHost;
  }

  async overview(): Promise<Overview> {
    const [top, facts] = await Promise.all([collectTop(this.target), this.nodeFacts()]);
    const inventory = loadInventory(this.config.inventory);
    const vendors = new Map(inventory.hosts.map((h) => [h.name, h.groups.find((g) => g.startsWith('vendor_')) ?? h.groups[0] ?? '-']));
    const runtimes = hostRuntimes(this.config.inventory);
    return {
      at: new Date().toISOString(),
      hosts: top.map((h) => ({
        host: h.host,
        vendor: vendors.get(h.host) ?? '-',
        init: facts.get(h.host)?.init ?? '?',
        os: facts.get(h.host)?.os ?? '?',
        runtime: runtimes.get(h.host) ?? 'runch',
        mode: h.mode,
        reachable: h.reachable,
        ...(h.error ? { error: h.error } : {}),
        ...(h.figures
          ? { load: h.figures.load[0], memAvailableBytes: h.figures.memAvailableBytes, memTotalBytes: h.figures.memTotalBytes, diskFreeBytes: h.figures.diskFreeBytes, vzRssBytes: h.figures.vzRssBytes }
          : {}),
      })),
      apps: top.flatMap((h) =>
        h.apps.map((a) => ({ app: a.id, host: h.host, wanted: a.wanted, state: a.state, restarts: a.restarts, cpuPct: a.cpuPct, rssBytes: a.rssBytes, version: a.version, ...(a.uptimeS !== undefined ? { uptimeS: a.uptimeS } : {}) })),
      ),
      deployed: listRecords(this.config.stateDir).map((r) => {
        const manifest = manifestSchema.safeParse(r.manifest);
        return { app: r.app, ...(manifest.success ? { replicas: manifest.data.replicas } : {}), hosts: r.hosts, image: r.image.split('/').pop()!, ...(r.previousImage ? { previousImage: r.previousImage.split('/').pop()! } : {}), deployedAt: r.deployedAt };
      }),
    };
  }

  async logs(app: string, lines: number): Promise<{ host: string; lines: string[]; error?: string }[]> {
    if (!APP.test(app)) throw new VzError('usage', `app "${app}": an app name is 1-32 lower-case letters, digits, "_" or "-"`);
    return collectLogs(this.target, app, lines);
  }

  events(count: number) {
    return readEvents(this.config.stateDir, count);
  }

  /** One action; its per-host results as the verbs print them. */
  async act(action: Action): Promise<{ hosts: { host: string; status: string; message: string }[]; notes: string[] }> {
    if (action.action === 'stop' || action.action === 'start') {
      if (action.host && !loadInventory(this.config.inventory).hosts.some((h) => h.name === action.host))
        throw new VzError('not-found', `host "${action.host}" is not in the inventory`);
      const steps = newSteps(this.target, undefined, undefined, action.host ? [action.host] : undefined);
      if (action.action === 'stop') await stopApp(steps, action.app);
      else await steps.run('start', hostCall('start', { app: action.app }, { ifInstalled: true }), undefined, (r) => settleFromAnswer('start', r));
      return { hosts: steps.summary().map((r) => ({ host: r.host, status: r.status, message: r.message })), notes: [] };
    }
    const record = readRecord(this.config.stateDir, action.app);
    if (!record) throw new VzError('not-found', `app "${action.app}" was never deployed from this master: deploy it once with vzmaster deploy`);
    // deploy: the last manifest with the image it deployed (a recipe is not rebuilt from the browser).
    const report = action.action === 'deploy' ? await deploy(this.target, manifestSchema.parse(record.manifest), undefined, record.image) : await rollback(this.target, action.app);
    return { hosts: report.hosts, notes: report.notes };
  }
}
