import { VzError } from '../../base/errors.ts';
import { type Command, parseVerb } from '../../base/cli.ts';

/** The image tools' commands are vzmaster's own command shape (flags, usage with an example, run -> exit code). */
export type { Command };

/** The only place that prints errors and picks the exit code: 0 ok, 1 error with one line on stderr. */
export async function runCommand(tool: string, command: Command, argv: string[]): Promise<number> {
  try {
    // only before `--`: after it, --help belongs to the program (strace-trace -- ls --help)
    const own = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
    if (own.includes('--help') || own.includes('-h')) {
      process.stdout.write(`${command.summary}\nusage: ${command.usage}\n`);
      return 0;
    }
    const { values, positionals } = parseVerb(command, argv);
    return await command.run({ values, positionals });
  } catch (error) {
    process.stderr.write(`${tool}: ${error instanceof Error ? error.message : String(error)}\n`);
    if (process.env.VZ_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}

/** A bin's whole body: run, then set the exit code (never process.exit, so stdout drains). */
export function main(tool: string, load: () => Promise<Command>, argv = process.argv.slice(2)): void {
  load()
    .then((command) => runCommand(tool, command, argv))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (error: unknown) => {
        process.stderr.write(`${tool}: ${String(error)}\n`);
        process.exitCode = 1;
      },
    );
}

/** UID:GID as runch spec reads it. */
export function parseUser(value: string, flag = '--user'): { uid: number; gid: number } {
  const match = /^(\d+):(\d+)$/.exec(value);
  if (!match) throw new VzError('usage', `${flag} "${value}" must be UID:GID, numbers such as 1000:1000`);
  return { uid: Number(match[1]), gid: Number(match[2]) };
}
