import { killContainer } from '../container/kill.ts';
import { defineCommand } from './command.ts';
import { requireId } from './command.ts';

/**
 * runc's `kill`: a signal, nothing more. Whoever respawns the container (init, `runch supervise`) may start it
 * again; to want it stopped, turn its entry off: `runch disable <id>` (supervisor) or `runch init stop <id>` (init).
 */
export const kill = defineCommand({
  name: 'kill',
  summary: 'send a signal (default SIGTERM) to a container\'s process; a supervised one is restarted: "runch disable" stops it for good',
  usage: 'runch kill [--all] <id> [SIGNAL]\n  example: runch kill web1 KILL   (--all: every process of the container)',
  options: { all: { type: 'boolean', short: 'a', default: false } },
  async run({ values, positionals, store }) {
    await killContainer(store, requireId(kill, positionals), positionals[1], values.all);
    return 0;
  },
});
