import { pickVerb } from '../cli/vzimage.ts';
import { runCommand } from '../cli/run.ts';

pickVerb(process.argv.slice(2))
  .then(({ command, rest }) => runCommand('vzimage', command, rest))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`vzimage: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
