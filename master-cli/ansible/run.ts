import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { VzError } from '../../base/errors.ts';
import { adhocArgv, type AdhocCall } from './argv.ts';
import { safeModuleArgs } from './args.ts';
import { ansibleBinary, ansibleDirs, ansibleEnv } from './env.ts';
import { classify, type HostResult } from './result.ts';
import { installResultsPlugin, readResults } from './results-plugin.ts';
import { ansibleMessages, forwardWarnings } from './warnings.ts';

/** ansible's own default callback path, kept after vzmaster's so a user's callback plugins still load. */
const DEFAULT_CALLBACK_PATH = '~/.ansible/plugins/callback:/usr/share/ansible/plugins/callback';

/** What a run needs to know about where it runs: the inventory and vzmaster's state dir. */
export interface RunTarget {
  inventory: string;
  stateDir: string;
  ansibleConfig?: string;
  /** The ansible binary (default $VZ_ANSIBLE, else `ansible` on PATH); ansible-inventory is taken from beside it. */
  ansibleBin?: string;
  /** HOME inside the state dir (the lab's runs); false keeps the user's HOME. Default: true when ansibleConfig is set. */
  isolateHome?: boolean;
}

export interface RunOutcome {
  hosts: HostResult[];
  /** ansible's own exit code (0 ok, 2 a host failed, 4 a host unreachable). */
  ansibleExit: number;
  durationMs: number;
}

/**
 * One ad-hoc module call on every matched host, results read per host from vzmaster's callback plugin's JSON files
 * (unreachable hosts included), never from ansible's human output. Ansible's warnings go on to the user's stderr
 * (warnings.ts). Throws (one line) when ansible itself fails before reaching hosts.
 */
export async function runAdhoc(target: RunTarget, call: AdhocCall): Promise<RunOutcome> {
  const dirs = ansibleDirs(target.stateDir);
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const runDir = mkdtempSync(join(dirs.runs, 'run-'));
  try {
    const resultsDir = join(runDir, 'results');
    mkdirSync(resultsDir);
    const pluginDir = installResultsPlugin(target.stateDir);
    const varsFile = join(runDir, 'args.yml');
    const { json, varsYaml } = safeModuleArgs(call.args ?? {});
    writeFileSync(varsFile, varsYaml, { mode: 0o600 });
    const argv = adhocArgv(call, { inventory: target.inventory, argsJson: json, varsFile });
    const bin = ansibleBinary(target.ansibleBin);
    const started = performance.now();
    const child = await execa(bin, argv, {
      reject: false,
      env: {
        ...ansibleEnv(target.stateDir, target.ansibleConfig, process.env, target.isolateHome ?? target.ansibleConfig !== undefined),
        ANSIBLE_CALLBACK_PLUGINS: [pluginDir, process.env.ANSIBLE_CALLBACK_PLUGINS ?? DEFAULT_CALLBACK_PATH].join(':'),
        VZ_RESULTS_DIR: resultsDir,
      },
      extendEnv: false,
      stdin: 'ignore',
      // A safety net only: ssh keepalives and the task timeout end a stuck host well before this.
      timeout: ((call.connectTimeout ?? 10) + (call.taskTimeout ?? 60) + 30) * 1000,
      forceKillAfterDelay: 2000,
    });
    const durationMs = performance.now() - started;
    if ((child as { code?: string }).code === 'ENOENT')
      throw new VzError('not-found', `${bin} is not installed: apt-get install --no-install-recommends ansible-core${bin === 'ansible' ? '' : ', or fix VZ_ANSIBLE'}`);
    if (child.timedOut) throw new VzError('system', `ansible ${call.module} did not finish in time and was stopped`);
    const exit = child.exitCode ?? 1;
    const hosts = readResults(resultsDir).map((r) => classify(r.host, r.result, r.event));
    const noHosts = hosts.length === 0 && (exit === 0 || /leaves us with no hosts|No hosts matched/.test(String(child.stderr)));
    if (!noHosts && (![0, 2, 4].includes(exit) || hosts.length === 0)) throw new VzError('system', ansibleError(String(child.stderr), String(child.stdout), exit));
    if (noHosts) throw new VzError('not-found', `no host matched${call.limit ? ` --limit "${call.limit}"` : ''} in inventory ${target.inventory}`);
    forwardWarnings(String(child.stderr));
    return { hosts, ansibleExit: exit, durationMs };
  } finally {
    if (!process.env.VZ_KEEP_RUNS) rmSync(runDir, { recursive: true, force: true });
  }
}

/** ansible's first error (`ERROR!` up to 2.18, `[ERROR]:` from 2.19), for a one-line message. */
export function ansibleError(stderr: string, stdout: string, exit: number): string {
  const error = ansibleMessages(stderr).find((m) => m.kind === 'ERROR')?.text;
  const other = `${stderr}\n${stdout}`.split('\n').map((l) => l.trim()).find((l) => l && !/^\[(WARNING|DEPRECATION WARNING)\]/.test(l));
  return `ansible failed: ${error ?? other ?? `exit code ${exit}`}`;
}
