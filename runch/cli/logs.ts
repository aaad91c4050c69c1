import { VzError } from '../../base/errors.ts';
import { onStopSignal } from '../../base/signals.ts';
import { defineCommand } from './command.ts';
import { requireId } from './command.ts';

export const logs = defineCommand({
  name: 'logs',
  summary: 'print a supervised container\'s output, each line tagged with its id (-f: follow)',
  usage: 'runch logs <id> [-n N] [-f] [--raw] [--log-dir DIR]\n  example: runch logs web1 -n 50 -f',
  options: {
    lines: { type: 'string', short: 'n', default: '20' },
    follow: { type: 'boolean', short: 'f', default: false },
    raw: { type: 'boolean', default: false },
    'log-dir': { type: 'string' },
  },
  async run({ values, positionals }) {
    const id = requireId(logs, positionals);
    const n = Number(values.lines);
    if (!Number.isInteger(n) || n < 0) throw new VzError('usage', `logs: -n "${values.lines}" must be a whole number of lines`);
    const { logDir, logPath } = await import('../../supervisor/logs/file.ts');
    const { follow, tailLines } = await import('../../supervisor/logs/read.ts');
    const { existsSync } = await import('node:fs');
    const dir = logDir(values['log-dir']);
    if (!existsSync(logPath(dir, id)) && !existsSync(logPath(dir, id, 1)))
      throw new VzError('not-found', `logs: no log for "${id}" in ${dir}: is it in the table (runch status)?`);
    const tag = values.raw ? (line: string) => `${line}\n` : (line: string) => `${id} | ${line}\n`;
    process.stdout.write(tailLines(dir, id, n).map(tag).join(''));
    if (!values.follow) return 0;
    return new Promise<number>((resolve) => {
      const stop = follow(dir, id, (lines) => process.stdout.write(lines.map(tag).join('')));
      const end = () => {
        stop();
        resolve(0);
      };
      onStopSignal(end);
    });
  },
});
