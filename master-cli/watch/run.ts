/**
 * How the watch runs: `--once` (one round: what a cron job or systemd timer runs) or in the foreground, rounds on a
 * node-cron schedule that never overlap. Every decision is one JSON line on stdout (pino, synchronous: no worker
 * thread, the master may be a small machine too). A round that fails (ansible missing, another watch acting) is
 * logged and the next round tries again; Ctrl-C lets a running round finish, then exits 0.
 */
import pino, { type Logger } from 'pino';
import { VzError } from '../../base/errors.ts';
import { onStopSignal } from '../../base/signals.ts';
import type { RunTarget } from '../ansible/run.ts';
import { type RoundOptions, watchRound } from './round.ts';

/**
 * node-cron, lazily. In the CommonJS bundle (dist/vzmaster.cjs) through require, so esbuild bundles node-cron's CJS
 * build (its ESM build reads import.meta.url at load, which a CJS bundle does not have); from source, import().
 */
async function loadCron(): Promise<typeof import('node-cron')> {
  if (typeof require === 'function') return require('node-cron') as typeof import('node-cron');
  const name = 'node-cron';
  return (await import(name)) as typeof import('node-cron');
}

export function watchLogger(): Logger {
  return pino(
    { base: { watch: process.pid }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    pino.destination({ dest: 1, sync: true }),
  );
}

export async function watchOnce(target: RunTarget, options: RoundOptions): Promise<number> {
  const report = await watchRound(target, options);
  options.log.info({ round: 'done', events: report.events.length, acted: report.acted.length, waiting: report.waiting.length }, 'round done');
  return 0;
}

export async function watchForeground(target: RunTarget, options: RoundOptions, every: string): Promise<number> {
  const cron = await loadCron();
  if (!cron.validate(every)) throw new VzError('usage', `watch: --every "${every}" is not a cron schedule node-cron reads (e.g. "*/30 * * * * *" for every 30 s)`);
  const log = options.log;
  let running: Promise<void> | undefined;
  const tick = async () => {
    if (running) return; // the first round (started at once) may still run at the first tick
    running = (async () => {
      try {
        await watchOnce(target, options);
      } catch (error) {
        log.error({ round: 'failed' }, error instanceof Error ? error.message : String(error));
      }
    })();
    await running;
    running = undefined;
  };
  // Overlap is prevented by `running` above, quietly (node-cron's own noOverlap prints a warning on every skipped tick).
  const task = cron.schedule(every, tick, { name: 'vzmaster watch' });
  log.info({ watching: every, lostAfter: options.lostAfter }, `watching every deployed app on "${every}"; a host is lost after ${options.lostAfter} missed checks in a row`);
  // The first round now, not at the first tick: a freshly started watch knows where things stand at once.
  void tick();
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'stopping after the current round');
      void task.stop();
      void (running ?? Promise.resolve()).then(() => resolve(0));
    };
    onStopSignal(stop);
  });
}
