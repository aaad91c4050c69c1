import { HOST_CONFIG_PATH } from '../../base/host-contract.ts';
import { StateStore } from '../state/store.ts';
import { hostConfigPath, readHostConfig } from './config.ts';

const DEFAULT_ROOT = '/run/runch';
const DEFAULT_TABLE = '/etc/vz/table';
const DEFAULT_LOG_DIR = '/var/log/vz';

export interface HostPaths {
  table: string;
  logDir: string;
  store: StateStore;
  /** Init's lines may name only the id: `runch init exec` will find the same paths in the host config. */
  viaHostConfig: boolean;
}

/**
 * Where this runch call keeps its table, logs and state: a flag, else the environment ($VZ_TABLE, $VZ_LOG_DIR,
 * $RUNCH_ROOT), else the host config, else the defaults of a machine used by hand (/etc/vz/table, /var/log/vz).
 * `root` is the global --root as parsed (its default means "not given").
 */
export function hostPaths(flags: { table?: string; logDir?: string }, root: string, store?: StateStore): HostPaths {
  const config = readHostConfig();
  const table = flags.table ?? process.env.VZ_TABLE ?? config?.table ?? DEFAULT_TABLE;
  const logDir = flags.logDir ?? process.env.VZ_LOG_DIR ?? config?.logDir ?? DEFAULT_LOG_DIR;
  const rootGiven = root !== DEFAULT_ROOT || process.env.RUNCH_ROOT !== undefined;
  const stateRoot = rootGiven ? root : (config?.stateRoot ?? root);
  const viaHostConfig =
    config !== undefined && hostConfigPath() === HOST_CONFIG_PATH && table === config.table && logDir === config.logDir && stateRoot === config.stateRoot;
  return { table, logDir, store: store && store.root === stateRoot ? store : new StateStore(stateRoot), viaHostConfig };
}
