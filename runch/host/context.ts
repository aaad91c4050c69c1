import { HOST_CONFIG_PATH, type HostConfig } from '../../base/host-contract.ts';
import type { HostOptions } from '../../inittab-gen/manage.ts';
import { StateStore } from '../state/store.ts';
import { hostConfigPath } from './config.ts';

/** Everything a host command works on: the host config, and the options inittab-gen's writers take from it. */
export interface HostContext {
  config: HostConfig;
  host: HostOptions;
}

export function contextOf(config: HostConfig): HostContext {
  return {
    config,
    host: {
      table: config.table,
      logDir: config.logDir,
      store: new StateStore(config.stateRoot),
      // Lines name only the id when init's runch will find this very config (not a test's private copy).
      viaHostConfig: hostConfigPath() === HOST_CONFIG_PATH,
    },
  };
}
