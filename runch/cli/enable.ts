import { VzError } from '../../base/errors.ts';
import { parseRestartPolicy } from '../../base/restart-policy.ts';
import { defineCommand } from './command.ts';
import { requireId } from './command.ts';

export const enable = defineCommand({
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
    const parsed = values.restart === undefined ? undefined : parseRestartPolicy(values.restart, 'enable: --restart');
    const restart = parsed ? { restart: parsed.policy, restartMax: parsed.max } : {};
    const action = values.once ? { action: 'once' as const } : values.cron !== undefined ? { action: 'cron' as const, schedule: values.cron } : undefined;
    const { entry, notified } = await enableEntry(id, {
      table: tablePath(values.table),
      stateDir: stateDir(values['state-dir']),
      bundle: values.bundle,
      action,
      ...restart,
    });
    if (!notified) process.stderr.write(`runch: ${entry.id} enabled in the table; no supervisor is running ("runch supervise" starts one)\n`);
    return 0;
  },
});
