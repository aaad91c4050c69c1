import { main } from './cli/main.ts';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`vzmaster: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
