import { VzError } from '../../base/errors.ts';
import type { Command } from '../../base/cli.ts';

/** The verb map: one file per verb, loaded lazily. Later verbs (push, start, status, deploy...) add one line. */
const verbs: Record<string, () => Promise<Command>> = {
  lab: async () => (await import('./lab.ts')).lab,
  nodes: async () => (await import('./nodes.ts')).nodes,
  push: async () => (await import('./push.ts')).push,
  start: async () => (await import('./start.ts')).start,
  stop: async () => (await import('./stop.ts')).stop,
  kill: async () => (await import('./stop.ts')).kill,
  status: async () => (await import('./status.ts')).status,
  logs: async () => (await import('./logs.ts')).logs,
  top: async () => (await import('./top.ts')).top,
  watch: async () => (await import('./watch.ts')).watch,
  console: async () => (await import('./console.ts')).consoleVerb,
  deploy: async () => (await import('./deploy.ts')).deployVerb,
  rollback: async () => (await import('./deploy.ts')).rollbackVerb,
  newnode: async () => (await import('./newnode.ts')).newnode,
  volume: async () => (await import('./volume.ts')).volume,
};

export const VERSION = '0.1.0';

async function usage(): Promise<string> {
  const lines = ['usage: vzmaster <command> [flags]', '', 'commands:'];
  for (const [name, load] of Object.entries(verbs)) lines.push(`  ${name.padEnd(8)} ${(await load()).summary}`);
  lines.push('', 'exit codes: 0 ok; 1 error (one line on stderr); 2 a host failed; 4 a host was unreachable');
  return lines.join('\n') + '\n';
}

/** The only place that prints errors and chooses the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const [verb, ...rest] = argv;
    if (verb === '--version' || verb === '-v') {
      process.stdout.write(`vzmaster version ${VERSION}\n`);
      return 0;
    }
    if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
      process.stdout.write(await usage());
      return verb === undefined ? 1 : 0;
    }
    const load = verbs[verb];
    if (!load) throw new VzError('usage', `unknown command ${JSON.stringify(verb)}: see "vzmaster --help"`);
    const command = await load();
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${command.summary}\nusage: ${command.usage}\n`);
      return 0;
    }
    const { parseVerb } = await import('../../base/cli.ts');
    const { values, positionals } = parseVerb(command, rest);
    return await command.run({ values, positionals });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`vzmaster: ${message}\n`);
    if (process.env.VZ_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
