import { VzError } from '../../base/errors.ts';
import { defineCommand } from './command.ts';
import { table } from './output.ts';

const COLOURS: Record<string, string> = { running: '32', backoff: '33', scheduled: '36', 'crash-loop': '31', invalid: '31', dead: '31', exited: '90', stopped: '90' };

export const status = defineCommand({
  name: 'status',
  summary: 'show what the supervisor runs: state, pid, uptime, restarts, last exit, next try (no supervisor needed)',
  usage: 'runch status [id] [--json] [--state-dir DIR] [--table FILE]\n  example: runch status web1 --json',
  options: { json: { type: 'boolean', default: false }, 'state-dir': { type: 'string' }, table: { type: 'string' } },
  async run({ values, positionals }) {
    const { statusReport, formatDuration, formatExit } = await import('../../supervisor/status.ts');
    const { stateDir } = await import('../../supervisor/state/file.ts');
    const { readTable, tablePath } = await import('../../supervisor/table/index.ts');
    let parsed;
    try {
      parsed = readTable(tablePath(values.table));
    } catch {
      parsed = undefined;
    }
    const report = statusReport(stateDir(values['state-dir']), parsed);
    const id = positionals[0];
    const units = id === undefined ? report.units : report.units.filter((u) => u.id === id);
    if (id !== undefined && units.length === 0) throw new VzError('not-found', `status: "${id}" is not in the table nor in the supervisor's state: see "runch status"`);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(id === undefined ? { ...report, units } : { supervisor: report.supervisor, ...units[0] }, null, 2)}\n`);
      return 0;
    }
    const tty = process.stdout.isTTY === true;
    const paint = (state: string) => (tty && COLOURS[state] ? `\x1b[${COLOURS[state]}m${state}\x1b[0m` : state);
    const s = report.supervisor;
    const head = s.running ? `supervisor: running, pid ${s.pid}, since ${s.since}` : `supervisor: not running${s.updated ? ` (state as of ${s.updated})` : ' (no state yet)'}`;
    const rows = units.map((u) => [
      u.id,
      u.wanted,
      u.state,
      u.pid ? String(u.pid) : '-',
      u.uptimeMs === null ? '-' : formatDuration(u.uptimeMs),
      String(u.restarts),
      formatExit(u.lastExit),
      u.nextTry ? u.nextTry.replace(/\.\d+Z$/, 'Z') : '-',
      u.bundle,
    ]);
    // Pad before colouring, so escape codes never shift the columns.
    const text = table(['ID', 'WANTED', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'LAST EXIT', 'NEXT TRY', 'BUNDLE'], rows);
    const lines = text.split('\n');
    const painted = lines.map((line, i) => (i === 0 || !units[i - 1] ? line : line.replace(` ${units[i - 1].state} `, ` ${paint(units[i - 1].state)} `)));
    process.stdout.write(`${head}\n${painted.join('\n')}`);
    for (const u of units) if (u.error) process.stdout.write(`${u.id}: ${u.error}\n`);
    return 0;
  },
});
