import { VzError } from '../../base/errors.ts';

/** One ad-hoc call: a builtin module, its arguments (data), and where it goes. */
export interface AdhocCall {
  module: string;
  args?: Record<string, unknown>;
  /** Ansible host pattern; vzmaster uses "all" and narrows with limit. */
  pattern?: string;
  limit?: string;
  forks?: number;
  /** Seconds to wait for the SSH connection (ansible -T). */
  connectTimeout?: number;
  /** Seconds a module may run on a host before ansible gives up on it. */
  taskTimeout?: number;
  become?: boolean;
  /** More ssh options for this call only (e.g. newnode's first contact with a host). */
  sshExtraArgs?: string;
}

/** Why an allowlist: only ansible-core's builtin modules are used, so a run never depends on a collection. */
export const BUILTIN_MODULES = new Set([
  'ping', 'setup', 'command', 'copy', 'stat', 'file', 'slurp', 'fetch', 'lineinfile', 'get_url', 'unarchive',
  'find', 'user', 'wait_for', 'service', 'apt', 'package', 'tempfile', 'blockinfile',
  // raw: only newnode's constant probes, before a fresh host has python.
  'raw',
]);

/** Keep ssh from hanging forever on a frozen host: the control master gives up after ~4 s of silence. */
export const SSH_KEEPALIVE = '-o ServerAliveInterval=2 -o ServerAliveCountMax=2';

/**
 * The argv of `ansible` for one call. Every value that could start with "-" is attached with "=" so argparse never
 * reads it as an option; module arguments arrive as data (see args.ts), never as a shell string.
 */
export function adhocArgv(call: AdhocCall, files: { inventory: string; argsJson: string; varsFile: string }): string[] {
  if (!BUILTIN_MODULES.has(call.module)) throw new VzError('usage', `module "${call.module}" is not one vzmaster uses (builtin modules only)`);
  const argv = [
    call.pattern ?? 'all',
    `--inventory=${files.inventory}`,
    `--module-name=${call.module}`,
    `--args=${files.argsJson}`,
    `--extra-vars=@${files.varsFile}`,
    `--forks=${call.forks ?? 10}`,
    `--timeout=${call.connectTimeout ?? 10}`,
    `--ssh-extra-args=${call.sshExtraArgs ? `${SSH_KEEPALIVE} ${call.sshExtraArgs}` : SSH_KEEPALIVE}`,
  ];
  if (call.taskTimeout) argv.push(`--task-timeout=${call.taskTimeout}`);
  if (call.limit !== undefined) argv.push(`--limit=${call.limit}`);
  if (call.become) argv.push('--become');
  return argv;
}
