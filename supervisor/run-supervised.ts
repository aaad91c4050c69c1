import { constants } from 'node:os';
import { parseRestartPolicy } from '../base/restart-policy.ts';
import type { StateStore } from '../runch/state/store.ts';
import type { CreateOptions } from '../runch/container/create.ts';
import { runContainer } from '../runch/container/run.ts';

function signalName(code: number): string | null {
  if (code <= 128) return null;
  return Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0] ?? null;
}

/**
 * `runch run --restart POLICY`: one container in the foreground with the supervisor's own restart decision (policy,
 * capped jittered backoff, crash-loop hold), for a host or a shell that wants no `runch supervise`. TERM or INT
 * stops it for good; the exit code is the last run's.
 */
export async function runSupervised(
  store: StateStore,
  id: string,
  options: CreateOptions & { restart: string },
  say: (line: string) => void,
): Promise<number> {
  const { policy, max } = parseRestartPolicy(options.restart, 'run: --restart');
  const { DEFAULT_POLICY, EMPTY_TALLY, decide } = await import('./policy/index.ts');
  let stopping = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopping = true;
    wake?.();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    let tally = EMPTY_TALLY;
    for (;;) {
      const started = Date.now();
      const code = await runContainer(store, id, { ...options, detach: false });
      if (stopping) return code;
      const exit = { code: signalName(code) ? null : code, signal: signalName(code), ranMs: Date.now() - started };
      const decision = decide({ policy, max, stopSignal: 'SIGTERM', exit, tally, now: Date.now() }, DEFAULT_POLICY);
      if (!decision.restart) {
        say(`${id} exited (${exit.signal ?? `code ${code}`}): not restarted, ${decision.reason}`);
        return code;
      }
      tally = { ...decision.tally, restarts: decision.tally.restarts + 1 };
      say(`${id} exited (${exit.signal ?? `code ${code}`}): ${decision.state}, restart ${tally.restarts} in ${decision.delayMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, decision.delayMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
      if (stopping) return code;
    }
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}
