import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { VzError } from '../../base/errors.ts';
import { setInventoryAnsible } from '../inventory/list.ts';
import { defaultLabDir } from '../lab/paths.ts';
import { configSchema, type VzConfig } from './schema.ts';

/** Read and check one vzmaster.json; relative paths in it are relative to the file. */
export function readConfig(file: string): VzConfig {
  const path = resolve(file);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new VzError(code === 'ENOENT' ? 'not-found' : 'invalid-config', `config ${path} ${code === 'ENOENT' ? 'does not exist' : `is not valid JSON: ${(error as Error).message}`}`);
  }
  const checked = configSchema.safeParse(data);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new VzError('invalid-config', `config ${path}: field "${issue.path.join('.')}": ${issue.message}`);
  }
  return checked.data;
}

/**
 * The config a verb runs with. Why this order: an explicit --config or VZ_MASTER_CONFIG first; else, without -i,
 * the lab's vzmaster.json when a lab exists (the project's embedded default); -i always overrides the inventory.
 */
export function resolveConfig(options: { config?: string; inventory?: string }): VzConfig {
  // The lab's config only when no -i is given: a user's own inventory must not inherit the lab's relaxed ssh settings.
  const file = options.config ?? process.env.VZ_MASTER_CONFIG ?? (options.inventory === undefined ? labConfigPath() : undefined);
  let config: VzConfig | undefined = file ? readConfig(file) : undefined;
  if (options.inventory !== undefined) {
    if (options.inventory === '') throw new VzError('usage', '-i needs an inventory file');
    const stateDir = config?.stateDir ?? process.env.VZ_MASTER_STATE ?? join(homedir(), '.local/state/vzmaster');
    config = configSchema.parse({ ...(config ?? { version: 1 }), inventory: resolve(options.inventory), stateDir });
  }
  if (!config) throw new VzError('not-found', 'no inventory: pass -i FILE, or bring up the local lab with "vzmaster lab up"');
  // The inventory is read by ansible-inventory with the same ansible setup as the run's ansible calls.
  setInventoryAnsible({ stateDir: config.stateDir, ansibleConfig: config.ansibleConfig });
  return config;
}

function labConfigPath(): string | undefined {
  const path = join(defaultLabDir(), 'vzmaster.json');
  return existsSync(path) ? path : undefined;
}
