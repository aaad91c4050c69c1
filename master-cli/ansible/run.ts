import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { VzError } from '../../base/errors.ts';
import { adhocArgv, type AdhocCall } from './argv.ts';
import { safeModuleArgs } from './args.ts';
import { ansibleDirs, ansibleEnv } from './env.ts';
import { classify, type HostResult } from './result.ts';
import { installStatusPlugin, readHostEvent } from './status-plugin.ts';

/** ansible's own default callback path, kept after vzmaster's so a user's callback plugins still load. */
const DEFAULT_CALLBACK_PATH = '~/.ansible/plugins/callback:/usr/share/ansible/plugins/callback';

/** What a run needs to know about where it runs: the inventory and vzmaster's state dir. */
export interface RunTarget {
  inventory: string;
  stateDir: string;
  ansibleConfig?: string;
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
 * One ad-hoc module call on every matched host, results read per host from the tree callback's JSON files, never
 * from ansible's human output. Throws (one line) when ansible itself fails before reaching hosts.
 */
export async function runAdhoc(target: RunTarget, call: AdhocCall): Promise<RunOutcome> {
  const dirs = ansibleDirs(target.stateDir);
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const runDir = mkdtempSync(join(dirs.runs, 'run-'));
  try {
    const tree = join(runDir, 'tree');
    const statusDir = join(runDir, 'status');
    mkdirSync(statusDir);
    const pluginDir = installStatusPlugin(target.stateDir);
    const varsFile = join(runDir, 'args.yml');
    const { json, varsYaml } = safeModuleArgs(call.args ?? {});
    writeFileSync(varsFile, varsYaml, { mode: 0o600 });
    const argv = adhocArgv(call, { inventory: target.inventory, tree, argsJson: json, varsFile });
    const started = performance.now();
    const child = await execa(target.ansibleBin ?? 'ansible', argv, {
      reject: false,
      env: {
        ...ansibleEnv(target.stateDir, target.ansibleConfig, process.env, target.isolateHome ?? target.ansibleConfig !== undefined),
        ANSIBLE_CALLBACK_PLUGINS: [pluginDir, process.env.ANSIBLE_CALLBACK_PLUGINS ?? DEFAULT_CALLBACK_PATH].join(':'),
        VZ_STATUS_DIR: statusDir,
      },
      extendEnv: false,
      stdin: 'ignore',
      // A safety net only: ssh keepalives and the task timeout end a stuck host well before this.
      timeout: ((call.connectTimeout ?? 10) + (call.taskTimeout ?? 60) + 30) * 1000,
      forceKillAfterDelay: 2000,
    });
    const durationMs = performance.now() - started;
    if ((child as { code?: string }).code === 'ENOENT')
      throw new VzError('not-found', `${target.ansibleBin ?? 'ansible'} is not installed: apt-get install --no-install-recommends ansible-core`);
    if (child.timedOut) throw new VzError('system', `ansible ${call.module} did not finish in time and was stopped`);
    const exit = child.exitCode ?? 1;
    const hosts = readTree(tree, statusDir);
    const noHosts = hosts.length === 0 && (exit === 0 || /leaves us with no hosts|No hosts matched/.test(String(child.stderr)));
    if (!noHosts && (![0, 2, 4].includes(exit) || hosts.length === 0)) throw new VzError('system', ansibleError(String(child.stderr), String(child.stdout), exit));
    if (noHosts) throw new VzError('not-found', `no host matched${call.limit ? ` --limit "${call.limit}"` : ''} in inventory ${target.inventory}`);
    return { hosts, ansibleExit: exit, durationMs };
  } finally {
    if (!process.env.VZ_KEEP_RUNS) rmSync(runDir, { recursive: true, force: true });
  }
}

function readTree(tree: string, statusDir: string): HostResult[] {
  let names: string[];
  try {
    names = readdirSync(tree);
  } catch {
    return [];
  }
  return names.sort().map((host) => {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(join(tree, host), 'utf8'));
    } catch {
      raw = undefined;
    }
    return classify(host, raw, readHostEvent(statusDir, host));
  });
}

/** ansible's first ERROR line, cleaned up, for a one-line message. */
export function ansibleError(stderr: string, stdout: string, exit: number): string {
  const lines = `${stderr}\n${stdout}`.split('\n').map((l) => l.trim()).filter(Boolean);
  const error = lines.find((l) => l.startsWith('ERROR!')) ?? lines.find((l) => !l.startsWith('[WARNING]')) ?? `exit code ${exit}`;
  return `ansible failed: ${error.replace(/^ERROR!\s*/, '')}`;
}
