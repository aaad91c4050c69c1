import { VzError } from '../../base/errors.ts';
import { exitCodeOf, summarize, type HostResult } from '../ansible/result.ts';
import { resolveConfig } from '../config/load.ts';
import { collectNodes } from '../nodes/nodes.ts';
import { defineVerb, intFlag } from '../../base/cli.ts';
import { humanBytes, summaryLine, table } from './output.ts';

export const nodes = defineVerb({
  name: 'nodes',
  summary: 'every host: reachable, OS, init, RAM, free disk, runch version (one ansible run)',
  usage: [
    'vzmaster nodes [-i INVENTORY] [--limit PATTERN] [--json] [--config FILE] [--forks N]',
    '  example: vzmaster nodes -i hosts.ini --limit vendor_a',
  ].join('\n'),
  options: {
    inventory: { type: 'string', short: 'i' },
    limit: { type: 'string', short: 'l' },
    json: { type: 'boolean', default: false },
    config: { type: 'string' },
    forks: { type: 'string', short: 'f' },
  },
  async run({ values, positionals }) {
    if (positionals.length > 0) throw new VzError('usage', `nodes: unexpected argument ${JSON.stringify(positionals[0])}; usage: ${nodes.usage.split('\n')[0]}`);
    const config = resolveConfig({ config: values.config, inventory: values.inventory });
    if (values.forks !== undefined) config.forks = Math.max(1, intFlag(nodes, 'forks', values.forks, config.forks));
    const { nodes: reports } = await collectNodes(config, values.limit);
    const verdicts: HostResult[] = reports.map((r) => ({ host: r.host, status: r.status, message: r.message, result: {} }));
    const code = exitCodeOf(verdicts);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ nodes: reports, summary: summarize(verdicts) }, null, 2)}\n`);
      return code;
    }
    const rows = reports.map((r) => [
      r.host,
      r.groups.join(',') || '-',
      `${r.address}${r.port ? `:${r.port}` : ''}`,
      r.status === 'ok' ? 'up' : r.status,
      r.facts?.os ?? '-',
      r.facts?.init ?? '-',
      r.runtime,
      r.facts ? humanBytes(r.facts.mem_kb) : '-',
      r.facts ? humanBytes(r.facts.disk_free_kb) : '-',
      r.facts?.node ?? '-',
      r.facts?.runch ?? (r.message ? `! ${r.message}` : '-'),
    ]);
    process.stdout.write(table(['HOST', 'GROUPS', 'ADDRESS', 'STATE', 'OS', 'INIT', 'RUNTIME', 'RAM', 'FREE DISK', 'NODE', 'RUNCH'], rows));
    process.stdout.write(`${summaryLine(summarize(verdicts))}\n`);
    return code;
  },
});
