import { mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeAtomicSync } from '../../base/atomic.ts';
import { VzError } from '../../base/errors.ts';
import { DEFAULT_HOST_PATHS, firstIssue, HOST_CONFIG_PATH, type HostConfig, hostConfigSchema, type Runtime } from '../../base/host-contract.ts';

/** The host config's path: $VZ_HOST_CONFIG (tests, a private copy), else the fixed one every runch looks at. */
export function hostConfigPath(): string {
  return process.env.VZ_HOST_CONFIG ?? HOST_CONFIG_PATH;
}

/** The host config, or undefined where none was written (a machine where runch is used by hand). */
export function readHostConfig(path = hostConfigPath()): HostConfig | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new VzError('system', `cannot read the host config ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new VzError('invalid-config', `the host config ${path} is not JSON: fix it, or remove it and run "runch host config"`);
  }
  const parsed = hostConfigSchema.safeParse(raw);
  if (!parsed.success) throw new VzError('invalid-config', `the host config ${path}: ${firstIssue(parsed.error)}; fix it, or remove it and run "runch host config"`);
  return parsed.data;
}

/** What this runch would write: the existing paths kept, the programs being the node and runch running now. */
export function currentHostConfig(existing: HostConfig | undefined): HostConfig {
  const { runch: _runch, ...paths } = DEFAULT_HOST_PATHS;
  const base = existing ?? { version: 1 as const, ...paths, runtime: 'runch' as const, bins: { node: '', runch: '' } };
  let runch = process.argv[1] ?? DEFAULT_HOST_PATHS.runch;
  try {
    runch = realpathSync(runch);
  } catch {
    // keep as given
  }
  return { ...base, bins: { node: process.execPath, runch } };
}

/** The host config with another runtime (an apply whose vz_runtime changed), written atomically. */
export function setHostRuntime(config: HostConfig, runtime: Runtime, path = hostConfigPath()): HostConfig {
  if (config.runtime === runtime) return config;
  const next = hostConfigSchema.parse({ ...config, runtime });
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  writeAtomicSync(path, `${JSON.stringify(next, null, 2)}\n`);
  return next;
}

/** Write the host config when it would change; returns whether it did. */
export function ensureHostConfig(path = hostConfigPath()): { config: HostConfig; changed: boolean } {
  const existing = readHostConfig(path);
  const config = hostConfigSchema.parse(currentHostConfig(existing)); // schema order: a rerun compares equal
  if (existing && JSON.stringify(existing) === JSON.stringify(config)) return { config, changed: false };
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  writeAtomicSync(path, `${JSON.stringify(config, null, 2)}\n`);
  return { config, changed: true };
}
