import { killContainer } from '../container/kill.ts';
import type { Command } from './command.ts';
import { requireId } from './command.ts';

export const kill: Command = {
  name: 'kill',
  summary: 'send a signal (default SIGTERM) to a container\'s process',
  usage: 'runch kill [--all] <id> [SIGNAL]\n  example: runch kill web1 KILL',
  options: { all: { type: 'boolean', short: 'a', default: false } },
  async run({ values, positionals, store }) {
    await killContainer(store, requireId(kill, positionals), positionals[1], values.all as boolean);
    return 0;
  },
};
