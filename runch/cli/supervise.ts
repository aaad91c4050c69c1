import { defineCommand } from './command.ts';
import { VzError } from '../../base/errors.ts';

export const supervise = defineCommand({
  name: 'supervise',
  summary: 'run the host supervisor: keep the table\'s containers running (foreground, one per host)',
  usage:
    'runch supervise [--table FILE] [--state-dir DIR] [--log-dir DIR] [--events FILE] [--policy K=V,...]\n' +
    '  example: runch supervise --table /etc/vz/table --events /var/log/vz/supervisor.log\n' +
    '  SIGHUP reloads the table (also watched), SIGTERM stops every container and exits',
  options: {
    table: { type: 'string' },
    'state-dir': { type: 'string' },
    'log-dir': { type: 'string' },
    events: { type: 'string' },
    policy: { type: 'string' },
    'adopt-poll-ms': { type: 'string' },
  },
  async run({ values, store }) {
    const { runSupervisor } = await import('../../supervisor/loop/main.ts');
    const poll = Number(values['adopt-poll-ms'] ?? process.env.VZ_ADOPT_POLL_MS ?? 500);
    if (!Number.isInteger(poll) || poll < 10) throw new VzError('usage', `supervise: --adopt-poll-ms "${values['adopt-poll-ms']}" must be a whole number >= 10`);
    return runSupervisor({
      store,
      table: values.table,
      stateDir: values['state-dir'],
      logDir: values['log-dir'],
      events: values.events,
      policy: values.policy ?? process.env.VZ_POLICY,
      adoptPollMs: poll,
    });
  },
});
