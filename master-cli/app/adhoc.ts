import { appendFileSync } from 'node:fs';
import type { AdhocCall } from '../ansible/argv.ts';
import { runAdhoc, type RunOutcome, type RunTarget } from '../ansible/run.ts';

/**
 * Every ansible process vzmaster's app verbs start goes through here. With $VZ_ANSIBLE_LOG set, each one appends a
 * line (module, and the command's host verb) to that file: how the tests and bench/master count processes per verb.
 */
export async function adhoc(target: RunTarget, call: AdhocCall): Promise<RunOutcome> {
  const log = process.env.VZ_ANSIBLE_LOG;
  if (log) {
    const argv = (call.args as { argv?: string[] } | undefined)?.argv;
    // A host verb is "runch.cjs host VERB"; a script ("sh -c SCRIPT NAME", the nodes probe) goes by its $0 name.
    const what = argv?.[1] === '-c' ? argv.slice(3, 4) : argv?.slice(1, 3);
    appendFileSync(log, `${call.module}${what ? ` ${what.join(' ')}` : ''}\n`);
  }
  return runAdhoc(target, call);
}
