import { collectStatus } from '../app/status.ts';
import { defineVerb } from '../../base/cli.ts';
import { table } from './output.ts';
import { TARGET_OPTIONS, targetOf } from './target.ts';

export const status = defineVerb({
  name: 'status',
  summary: 'every app on every host, in one ansible round trip; unreachable hosts flagged',
  usage: 'vzmaster status [APP] [-i INVENTORY] [--limit PATTERN] [--json]\n  example: vzmaster status hello --json',
  options: { ...TARGET_OPTIONS },
  async run({ values, positionals }) {
    const { config, limit } = targetOf(values);
    const hosts = await collectStatus(config, limit, positionals[0]);
    const unreachable = hosts.some((h) => !h.reachable);
    const failed = hosts.some((h) => h.error && h.reachable);
    if (values.json) process.stdout.write(`${JSON.stringify({ hosts }, null, 2)}\n`);
    else {
      const rows: string[][] = [];
      for (const h of hosts) {
        if (!h.reachable) rows.push([h.host, h.runtime, '-', '-', 'UNREACHABLE', '-', '-', h.error ?? '']);
        else if (h.error) rows.push([h.host, h.runtime, '-', '-', 'ERROR', '-', '-', h.error]);
        for (const a of h.apps) rows.push([h.host, h.runtime, a.id, a.wanted, a.state, a.pid ? String(a.pid) : '-', String(a.failures ?? 0), a.since ?? a.nextTry ?? '-']);
      }
      process.stdout.write(table(['HOST', 'RUNTIME', 'APP', 'WANTED', 'STATE', 'PID', 'FAILURES', 'SINCE / NEXT TRY'], rows));
    }
    return unreachable ? 4 : failed ? 2 : 0;
  },
});
