import { collectTop, DEFAULT_SAMPLE_MS, type HostTopRow } from '../app/top.ts';
import { defineVerb, intFlag } from '../../base/cli.ts';
import { VzError } from '../../base/errors.ts';
import { humanBytes, table } from './output.ts';
import { TARGET_OPTIONS, targetOf } from './target.ts';

export const top = defineVerb({
  name: 'top',
  summary: 'CPU, memory and fds of every app, load, RAM, disk and vz\'s own RAM of every host, in one round trip',
  usage: 'vzmaster top [APP] [--sample MS] [-i INVENTORY] [--limit PATTERN] [--json]\n  example: vzmaster top hello --json',
  options: { ...TARGET_OPTIONS, sample: { type: 'string' } },
  async run({ values, positionals }) {
    const sampleMs = intFlag(top, 'sample', values.sample, DEFAULT_SAMPLE_MS);
    if (sampleMs < 50 || sampleMs > 5000) throw new VzError('usage', `top: --sample ${sampleMs} is out of range: use 50 to 5000 ms`);
    const { config, limit } = targetOf(values);
    const hosts = await collectTop(config, { limit, app: positionals[0], sampleMs });
    if (values.json) process.stdout.write(`${JSON.stringify({ hosts }, null, 2)}\n`);
    else process.stdout.write(render(hosts));
    return hosts.some((h) => !h.reachable) ? 4 : hosts.some((h) => h.error) ? 2 : 0;
  },
});

const bytes = (n: number) => humanBytes(n / 1024);

function uptime(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** Two tables: the hosts, then their apps (the habit of top's summary above its process list). */
function render(hosts: HostTopRow[]): string {
  const hostRows = hosts.map((h) => {
    const f = h.figures;
    if (!h.reachable) return [h.host, '-', 'UNREACHABLE', '-', '-', '-', h.error ?? ''];
    if (!f) return [h.host, h.mode ?? '-', h.error ? 'ERROR' : '-', '-', '-', '-', h.error ?? 'no vz here yet'];
    const load = f.load.map((l) => l.toFixed(2)).join(' ');
    return [h.host, h.mode ?? '-', `${load} (${f.cpus} cpu)`, `${bytes(f.memAvailableBytes)} / ${bytes(f.memTotalBytes)}`, `${bytes(f.diskFreeBytes)} / ${bytes(f.diskTotalBytes)}`, f.vzRssBytes ? bytes(f.vzRssBytes) : '0', ''];
  });
  const appRows = hosts.flatMap((h) =>
    h.apps.map((a) => [h.host, a.id, a.state, a.pid ? String(a.pid) : '-', uptime(a.uptimeS), String(a.restarts), a.pid ? a.cpuPct.toFixed(1) : '-', a.pid ? bytes(a.rssBytes) : '-', a.pid ? String(a.fds) : '-', a.pid ? String(a.processes) : '-']),
  );
  return `${table(['HOST', 'MODE', 'LOAD 1 5 15', 'RAM FREE / TOTAL', 'DISK FREE / TOTAL', 'VZ RSS', 'NOTE'], hostRows)}\n${table(['HOST', 'APP', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'CPU %', 'RSS', 'FDS', 'PROCS'], appRows)}`;
}
