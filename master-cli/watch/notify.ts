/**
 * The user's notify hook: their command line, run by /bin/sh as cron runs a crontab's command (it is the user's own
 * code, like a git hook), with the event as one JSON object on stdin. Nothing of the event is ever put into the
 * command line: a host or app name reaches the hook only as JSON data. A failing or hanging hook is logged, never
 * fatal: the watch goes on.
 */
import { execa } from 'execa';
import type { WatchEvent } from './events.ts';

export interface HookResult {
  ok: boolean;
  detail?: string;
}

export async function notify(command: string, event: WatchEvent, timeoutMs = 30_000): Promise<HookResult> {
  const run = await execa('/bin/sh', ['-c', command], {
    input: `${JSON.stringify(event)}\n`,
    reject: false,
    timeout: timeoutMs,
    // The hook's output is its own business: kept short in the watch's log, never mixed into the watch's stdout.
    stdout: 'pipe',
    stderr: 'pipe',
    env: { VZ_EVENT: event.event },
  });
  if (run.exitCode === 0) return { ok: true };
  const why = run.timedOut ? `timed out after ${timeoutMs / 1000} s` : `exit ${run.exitCode ?? run.signal}`;
  return { ok: false, detail: `${why}${run.stderr ? `: ${String(run.stderr).slice(0, 300)}` : ''}` };
}
