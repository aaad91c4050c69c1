import { HostVar } from '../ansible/args.ts';
import type { AdhocCall } from '../ansible/argv.ts';
import type { HostResult } from '../ansible/result.ts';
import { type ErrorAnswer, type HostAnswer, type HostVerb, readAnswer } from '../../base/host-contract.ts';
import { HOST_RUNCH } from './host-paths.ts';

/**
 * One `runch host <verb>` on every matched host: the request is the command module's stdin (data, never a shell
 * string or an argument ansible would template). `ifInstalled`: a host without runch skips the command (ansible's
 * own `removes`), which is how "vz never ran here" reads without matching any message.
 */
export function hostCall(verb: HostVerb, request: object, options: { ifInstalled?: boolean; taskTimeout?: number; withSelf?: boolean } = {}): AdhocCall {
  // withSelf: the host learns who it is in the inventory (name, address as given), filled in by ansible per host, so
  // one call serves every host of a run (the request on stdin is the same for all).
  const self = options.withSelf ? [new HostVar('--vz-host=', 'inventory_hostname'), new HostVar('--vz-host-addr=', 'ansible_host | default(inventory_hostname)')] : [];
  return {
    module: 'command',
    // The leading blank: ansible 2.14 re-types a templated argument that starts with "{" into a dict (even an !unsafe
    // one, for a module option without a type such as stdin), which would reach runch as Python's repr.
    args: { argv: [HOST_RUNCH, 'host', verb, ...self], stdin: ` ${JSON.stringify(request)}`, ...(options.ifInstalled ? { removes: HOST_RUNCH } : {}) },
    taskTimeout: options.taskTimeout ?? 60,
  };
}

export type HostReply<V extends HostVerb> =
  | { kind: 'answer'; answer: HostAnswer<V> }
  | { kind: 'error'; error: ErrorAnswer['error'] }
  | { kind: 'no-runch' }
  | { kind: 'unreachable'; message: string };

/** What one host replied, read only from the contract's JSON (and ansible's own result fields). */
export function hostReply<V extends HostVerb>(verb: V, r: HostResult): HostReply<V> {
  if (r.status === 'unreachable') return { kind: 'unreachable', message: r.message };
  // The command module reports changed whenever it ran; ok (changed false, nothing printed) means `removes` skipped it.
  if (r.status === 'ok' && r.result.changed !== true) return { kind: 'no-runch' };
  const stdout = r.result.stdout ?? '';
  // No answer: runch died before it could print one (or never ran). Its own last stderr line says why, in full;
  // ansible's msg ("non-zero return code", cut at 200) is the last resort.
  if (stdout.trim() === '' && r.status === 'failed') return { kind: 'error', error: { code: 'system', message: lastLine(r.result.stderr) ?? r.message } };
  const answer = readAnswer(verb, stdout);
  return answer.ok ? { kind: 'answer', answer } : { kind: 'error', error: answer.error };
}

/** A host's result restated from its answer: changed as the host says, an error answer's one line as the message. */
export function settleFromAnswer(verb: HostVerb, r: HostResult): HostResult {
  const reply = hostReply(verb, r);
  if (reply.kind === 'error') return { ...r, status: 'failed', message: reply.error.message };
  if (reply.kind === 'answer') return { ...r, status: (reply.answer as { changed?: boolean }).changed ? 'changed' : 'ok', message: '' };
  return r;
}

function lastLine(text: string | undefined): string | undefined {
  return (text ?? '').split('\n').map((l) => l.trim()).filter((l) => l.length > 0).pop();
}
