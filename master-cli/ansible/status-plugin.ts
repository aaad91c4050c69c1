import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Why a callback of our own next to `tree`: ansible hands callbacks a "clean copy" of each result with `failed`
 * removed ("statuses are already reflected on the event type"), so the tree files of a failed host and of an ok
 * one look alike (a module refusing its arguments returns just {changed: false, msg}). This notification plugin
 * only records each host's event type (ok, failed, unreachable, skipped) as one word in VZ_STATUS_DIR/<host>;
 * the results themselves still come from tree. It loads without being enabled (CALLBACK_NEEDS_ENABLED = False)
 * whenever ANSIBLE_LOAD_CALLBACK_PLUGINS=1, and does nothing without VZ_STATUS_DIR.
 */
export const STATUS_PLUGIN = `# written by vzmaster: records each host's event type for vzmaster (see master-cli/ansible/status-plugin.ts)
import os
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'notification'
    CALLBACK_NAME = 'vz_status'
    CALLBACK_NEEDS_ENABLED = False

    def _record(self, result, event):
        directory = os.environ.get('VZ_STATUS_DIR')
        name = result._host.get_name()
        if not directory or '/' in name or name.startswith('.'):
            return
        with open(os.path.join(directory, name), 'w') as out:
            out.write(event)

    def v2_runner_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')

    def v2_runner_on_skipped(self, result):
        self._record(result, 'skipped')
`;

/** Write the plugin into the state dir (only when missing or different); returns its directory. */
export function installStatusPlugin(stateDir: string): string {
  const dir = join(stateDir, 'callback_plugins');
  const file = join(dir, 'vz_status.py');
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // not there yet
  }
  if (current !== STATUS_PLUGIN) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, STATUS_PLUGIN, { mode: 0o600 });
  }
  return dir;
}

export type HostEvent = 'ok' | 'failed' | 'unreachable' | 'skipped';

/** The event the plugin recorded for a host, if any. */
export function readHostEvent(statusDir: string, host: string): HostEvent | undefined {
  try {
    const word = readFileSync(join(statusDir, host), 'utf8').trim();
    return word === 'ok' || word === 'failed' || word === 'unreachable' || word === 'skipped' ? word : undefined;
  } catch {
    return undefined;
  }
}
