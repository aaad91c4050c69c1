import { VzError } from '../../base/errors.ts';
import type { Command } from './command.ts';
import { requireId } from './command.ts';

const POLICY = /^(no|on-failure|always|unless-stopped)(?::(\d+))?$/;

export const enable: Command = {
  name: 'enable',
  summary: 'want a container running: set its table entry on (adds it with --bundle)',
  usage:
    'runch enable <id> [--bundle DIR] [--once | --cron "SCHEDULE"] [--restart POLICY] [--table FILE]\n' +
    '  example: runch enable web1 --bundle /var/lib/vz/bundles/web --restart on-failure:5',
  options: {
    bundle: { type: 'string', short: 'b' },
    once: { type: 'boolean', default: false },
    cron: { type: 'string' },
    restart: { type: 'string' },
    table: { type: 'string' },
    'state-dir': { type: 'string' },
  },
  async run({ values, positionals }) {
    const id = requireId(enable, positionals);
    const { enableEntry } = await import('../../supervisor/edit.ts');
    const { tablePath } = await import('../../supervisor/table/index.ts');
    const { stateDir } = await import('../../supervisor/state/file.ts');
    if (values.once && values.cron !== undefined) throw new VzError('usage', 'enable: give --once or --cron, not both');
    let restart: { restart?: 'no' | 'on-failure' | 'always' | 'unless-stopped'; restartMax?: number } = {};
    if (values.restart !== undefined) {
      const match = POLICY.exec(values.restart as string);
      if (!match) throw new VzError('usage', `enable: --restart "${values.restart}" is unknown: use no, on-failure[:max], always or unless-stopped`);
      restart = { restart: match[1] as 'no', restartMax: match[2] === undefined ? undefined : Number(match[2]) };
    }
    const action = values.once ? { action: 'once' as const } : values.cron !== undefined ? { action: 'cron' as const, schedule: values.cron as string } : undefined;
    const { entry, notified } = await enableEntry(id, {
      table: tablePath(values.table as string | undefined),
      stateDir: stateDir(values['state-dir'] as string | undefined),
      bundle: values.bundle as string | undefined,
      action,
      ...restart,
    });
    if (!notified) process.stderr.write(`runch: ${entry.id} enabled in the table; no supervisor is running ("runch supervise" starts one)\n`);
    return 0;
  },
};
