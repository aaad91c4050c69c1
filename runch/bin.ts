import './compat.ts';
import { main } from './cli/main.ts';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`runch: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
