import { VzError } from '../../base/errors.ts';
import type { Command, Globals } from './command.ts';

/** Verbs load lazily: `runch run` must not pay for the code of `list` or `supervise`. */
const verbs: Record<string, () => Promise<Command>> = {
  spec: async () => (await import('./spec.ts')).spec,
  create: async () => (await import('./create.ts')).create,
  start: async () => (await import('./start.ts')).start,
  run: async () => (await import('./run.ts')).run,
  exec: async () => (await import('./exec.ts')).exec,
  state: async () => (await import('./state.ts')).state,
  kill: async () => (await import('./kill.ts')).kill,
  delete: async () => (await import('./delete.ts')).del,
  list: async () => (await import('./list.ts')).list,
  init: async () => (await import('./init.ts')).init,
  supervise: async () => (await import('./supervise.ts')).supervise,
  status: async () => (await import('./status.ts')).status,
  logs: async () => (await import('./logs.ts')).logs,
  enable: async () => (await import('./enable.ts')).enable,
  disable: async () => (await import('./disable.ts')).disable,
  host: async () => (await import('./host.ts')).host,
};

export const VERSION = '0.1.0';

const GLOBAL_WITH_VALUE = new Set(['--root', '--log', '--log-format']);

/** Split `runch [global flags] verb [verb flags]` the way runc's command line reads. */
export function splitGlobals(argv: string[]): { globals: Globals; verb?: string; rest: string[]; help: boolean; version: boolean } {
  const globals: Globals = { root: process.env.RUNCH_ROOT ?? '/run/runch', logFormat: 'text' };
  let help = false;
  let version = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-')) break;
    if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--version' || arg === '-v') version = true;
    else if (arg === '--debug' || arg === '--systemd-cgroup' || arg === '--rootless') continue; // runc flags with no meaning here
    else {
      const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
      if (!GLOBAL_WITH_VALUE.has(flag)) throw new VzError('usage', `unknown global option "${arg}": see "runch --help"`);
      const value = inline ?? argv[++i];
      if (value === undefined) throw new VzError('usage', `${flag} needs a value`);
      if (flag === '--root') globals.root = value;
      else if (flag === '--log') globals.log = value;
      else if (value === 'text' || value === 'json') globals.logFormat = value;
      else throw new VzError('usage', `--log-format "${value}" is unknown: use text or json`);
    }
  }
  return { globals, verb: argv[i], rest: argv.slice(i + 1), help, version };
}

async function usage(): Promise<string> {
  const lines = ['usage: runch [--root DIR] [--log FILE] [--log-format text|json] <command> [flags]', '', 'commands:'];
  for (const [name, load] of Object.entries(verbs)) lines.push(`  ${name.padEnd(10)} ${(await load()).summary}`);
  lines.push('', 'exit codes: 0 ok; 1 error (one line on stderr); run: the program\'s own exit code');
  return lines.join('\n') + '\n';
}

/** The only place that prints errors and chooses the exit code. */
export async function main(argv: string[]): Promise<number> {
  let logError: (message: string) => void = () => undefined;
  try {
    const { globals, verb, rest, help, version } = splitGlobals(argv);
    if (globals.log) logError = (await import('./log.ts')).errorLogger(globals.log, globals.logFormat);
    if (version) {
      process.stdout.write(`runch version ${VERSION}\nspec: 1.2.0\n`);
      return 0;
    }
    if (help || verb === undefined || verb === 'help') {
      process.stdout.write(await usage());
      return verb === undefined && !help ? 1 : 0;
    }
    const load = verbs[verb];
    if (!load) {
      const { refusedVerb } = await import('./runc-flags.ts');
      throw new VzError('usage', refusedVerb(verb) ?? `unknown command "${verb}": see "runch --help"`);
    }
    const command = await load();
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${command.summary}\nusage: ${command.usage}\n`);
      return 0;
    }
    const { parseVerb } = await import('./command.ts');
    const { runcFlags } = await import('./runc-flags.ts');
    const { values, positionals } = parseVerb(command, runcFlags(verb, rest));
    const { StateStore } = await import('../state/store.ts');
    return await command.run({ values, positionals, globals, store: new StateStore(globals.root) });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`runch: ${message}\n`);
    logError(message);
    if (process.env.RUNCH_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
