import { VzError } from '../../base/errors.ts';
import { writeSpec } from '../spec.ts';
import { straceTrace } from '../strace-trace.ts';
import { defineVerb } from '../../base/cli.ts';

export const straceTraceCommand = defineVerb({
  name: 'strace-trace',
  summary: 'run a command under strace -f and write the spec of every file it used',
  usage:
    'strace-trace [-o SPEC] -- CMD [ARG...]\n' +
    '  example: strace-trace -o perl.spec -- perl -MPOSIX -e \'print POSIX::floor(2.5), "\\n"\'\n' +
    '  without -o the spec goes to stdout after the command\'s own output; exit code: the command\'s when it failed',
  options: { output: { type: 'string', short: 'o' } },
  async run({ values, positionals }) {
    if (positionals.length === 0) throw new VzError('usage', `strace-trace needs a command; usage: ${this.usage.split('\n')[0]}`);
    const result = await straceTrace(positionals);
    for (const { path, why } of result.leftOut) process.stderr.write(`strace-trace: left out ${path}: ${why}\n`);
    for (const warning of result.warnings) process.stderr.write(`strace-trace: warning: ${warning}\n`);
    const spec = values.output;
    if (spec !== undefined) await writeSpec(spec, result.paths);
    else process.stdout.write(result.paths.map((p) => `${p}\n`).join(''));
    if (result.exitCode !== 0) process.stderr.write(`strace-trace: ${positionals[0]} exited with ${result.exitCode}; the spec may miss what it did not reach\n`);
    else if (spec !== undefined) process.stderr.write(`strace-trace: ${result.paths.length} paths in ${spec}\n`);
    return result.exitCode;
  },
});
