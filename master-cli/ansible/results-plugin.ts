import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * Why a callback of our own: ansible's `tree` callback (deprecated in ansible-core 2.19, removed in 2.23) was the only
 * builtin that wrote per-host results as files, and it loses the event type (ansible hands callbacks a clean copy of
 * each result with `failed` stripped, so a module refusing its arguments looks like an ok host). This notification
 * plugin writes, per host, one JSON file holding the event type beside the result after the callback's own cleaning
 * (`_dump_results`: internal keys, invocation and diff removed). It loads without being enabled
 * (CALLBACK_NEEDS_ENABLED = False) whenever ANSIBLE_LOAD_CALLBACK_PLUGINS=1, and does nothing without
 * VZ_RESULTS_DIR. File names are the sha256 of the host name, so no name (`../x`, `a/b`, a dot file) ever leaves the
 * directory; each file is written to a temp name, then renamed. Works on ansible-core 2.14 to 2.19+ (the `result` and
 * `host` properties exist from 2.19; older cores only have `_result` and `_host`).
 */
export const RESULTS_PLUGIN = `# written by vzmaster: per-host results for vzmaster (see master-cli/ansible/results-plugin.ts)
import hashlib
import json
import os
import tempfile

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'notification'
    CALLBACK_NAME = 'vz_results'
    CALLBACK_NEEDS_ENABLED = False

    def _record(self, result, event):
        directory = os.environ.get('VZ_RESULTS_DIR')
        if not directory:
            return
        cls = type(result)
        host = result.host if isinstance(getattr(cls, 'host', None), property) else result._host
        data = result.result if hasattr(cls, 'result') else result._result
        name = host.get_name()
        text = '{"host": %s, "event": %s, "result": %s}' % (json.dumps(name), json.dumps(event), self._dump_results(data, indent=None))
        digest = hashlib.sha256(name.encode('utf-8', 'surrogateescape')).hexdigest()
        fd, temp = tempfile.mkstemp(dir=directory, prefix='.tmp-')
        try:
            with os.fdopen(fd, 'w', encoding='utf-8') as out:
                out.write(text)
            os.replace(temp, os.path.join(directory, digest + '.json'))
        except BaseException:
            os.unlink(temp)
            raise

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
export function installResultsPlugin(stateDir: string): string {
  const dir = join(stateDir, 'callback_plugins');
  const file = join(dir, 'vz_results.py');
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // not there yet
  }
  if (current !== RESULTS_PLUGIN) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, RESULTS_PLUGIN, { mode: 0o600 });
    // The status-only plugin of earlier versions, if this state dir still has it.
    rmSync(join(dir, 'vz_status.py'), { force: true });
  }
  return dir;
}

export type HostEvent = 'ok' | 'failed' | 'unreachable' | 'skipped';

const resultFileSchema = z.object({
  host: z.string().min(1),
  event: z.enum(['ok', 'failed', 'unreachable', 'skipped']),
  result: z.record(z.string(), z.unknown()),
});

export interface RecordedResult {
  host: string;
  event?: HostEvent;
  /** The cleaned result, or undefined when the file could not be read as the plugin writes it. */
  result?: Record<string, unknown>;
}

/** The file name the plugin gives a host's result. */
export function resultFileName(host: string): string {
  return `${createHash('sha256').update(host, 'utf8').digest('hex')}.json`;
}

/** Every host result the plugin wrote in one run's directory, by host name. */
export function readResults(dir: string): RecordedResult[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch {
    return [];
  }
  const out: RecordedResult[] = [];
  for (const file of names) {
    let parsed: z.infer<typeof resultFileSchema> | undefined;
    try {
      const checked = resultFileSchema.safeParse(JSON.parse(readFileSync(join(dir, file), 'utf8')));
      if (checked.success) parsed = checked.data;
    } catch {
      parsed = undefined;
    }
    // A file whose name does not match its host was not written by the plugin: ignored rather than trusted.
    if (parsed && resultFileName(parsed.host) === file) out.push(parsed);
  }
  return out.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}
