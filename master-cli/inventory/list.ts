import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execaSync } from 'execa';
import { VzError } from '../../base/errors.ts';
import { ansibleDirs, ansibleEnv, ansibleTool } from '../ansible/env.ts';
import { ansibleMessages } from '../ansible/warnings.ts';
import { inventoryFormat } from './format.ts';

/** Which ansible reads the inventory, and with which config: the same as the run's (see config/load.ts). */
export interface InventoryAnsible {
  stateDir?: string;
  ansibleConfig?: string;
  ansibleBin?: string;
  isolateHome?: boolean;
}

let current: InventoryAnsible = {};

/** Set once per vzmaster run, when its config is resolved: every later inventory read uses that ansible setup. */
export function setInventoryAnsible(ansible: InventoryAnsible): void {
  current = ansible;
}

/**
 * `ansible-inventory -i PATH --list`: ansible's own reading of any inventory (INI, YAML, group_vars/ and host_vars/
 * beside it, a directory of inventories, a dynamic inventory script), as JSON. Why ansible's and not a parser of ours:
 * only ansible knows what ansible will see. Run with the environment of vzmaster's ansible runs, except its local
 * temp dir, which is a private one removed afterwards: a refused inventory leaves nothing in the state dir.
 * Errors become one line naming the parser's complaint; warnings are the caller's to pass on (warnings.ts) once the
 * inventory passed its checks, so a refusal stays one line.
 */
export function listInventory(path: string, ansible: InventoryAnsible = current): { data: unknown; stderr: string } {
  const bin = ansibleTool('ansible-inventory', ansible.ansibleBin);
  const localTmp = mkdtempSync(join(tmpdir(), 'vz-inventory-'));
  try {
    const isolateHome = ansible.isolateHome ?? ansible.ansibleConfig !== undefined;
    const base = ansibleEnv(ansible.stateDir ?? localTmp, ansible.ansibleConfig, process.env, isolateHome);
    // ansible makes ~/.ansible at start and warns when HOME itself is missing (a lab's first vzmaster call).
    if (isolateHome) mkdirSync(ansibleDirs(ansible.stateDir ?? localTmp).home, { recursive: true, mode: 0o700 });
    const child = execaSync(bin, [`--inventory=${path}`, '--list'], {
      reject: false,
      env: { ...base, ANSIBLE_LOCAL_TEMP: localTmp },
      extendEnv: false,
      stdin: 'ignore',
      timeout: 60_000,
    });
    if ((child as { code?: string }).code === 'ENOENT')
      throw new VzError('not-found', `${bin} is not installed: apt-get install --no-install-recommends ansible-core${bin === 'ansible-inventory' ? '' : ', or fix VZ_ANSIBLE'}`);
    if (child.timedOut) throw new VzError('system', `inventory ${path}: ansible-inventory did not finish in 60 s (a dynamic inventory script that hangs?)`);
    const stderr = String(child.stderr);
    if (child.exitCode !== 0) throw new VzError('invalid-config', `inventory ${path} cannot be read: ${parseError(path, stderr)}`);
    try {
      return { data: JSON.parse(String(child.stdout)) as unknown, stderr };
    } catch {
      throw new VzError('system', `inventory ${path}: ansible-inventory printed something that is not JSON`);
    }
  } finally {
    rmSync(localTmp, { recursive: true, force: true });
  }
}

/** The first warning ansible printed while reading, for an error that has no better explanation ("no hosts"). */
export function firstWarning(stderr: string): string | undefined {
  return ansibleMessages(stderr).find((m) => m.kind !== 'ERROR')?.text;
}

const PLUGIN_FAILURE = /Failed to parse (?:(.+?) with (\w+) plugin|inventory with '(\w+)' plugin): (.*)$/;

/**
 * The complaint of the parser that was meant: ansible tries every inventory plugin in turn and prints each one's
 * failure; the one for the file's own format (a script, YAML, INI) is the one a user can act on.
 */
function parseError(path: string, stderr: string): string {
  const failures = new Map<string, string>();
  for (const message of ansibleMessages(stderr)) {
    const match = PLUGIN_FAILURE.exec(message.text);
    if (!match) continue;
    const plugin = match[2] ?? match[3];
    const text = match[4].replace(/^Failed to parse inventory[.:]\s*/, '').replace(/^(\S+?):(\d+):\s*/, (_all, _file, line) => `line ${line}: `);
    if (!failures.has(plugin)) failures.set(plugin, text);
  }
  const preferred = [...preferredPlugins(path), ...failures.keys()];
  const plugin = preferred.find((p) => failures.has(p));
  const line = plugin ? `${plugin} plugin: ${failures.get(plugin)}` : (ansibleMessages(stderr).find((m) => m.kind === 'ERROR')?.text ?? 'ansible-inventory failed');
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

function preferredPlugins(path: string): string[] {
  try {
    if (statSync(path).isDirectory()) return [];
    try {
      accessSync(path, constants.X_OK);
      return ['script'];
    } catch {
      // not executable: a static file
    }
    const text = readFileSync(path, 'utf8');
    if (/^plugin\s*:/m.test(text)) return ['auto'];
    return inventoryFormat(path, text) === 'yaml' ? ['yaml', 'auto'] : ['ini'];
  } catch {
    return [];
  }
}
