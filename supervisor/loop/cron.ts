/** Cron entries: node-cron, loaded only on hosts that have one; one schedule per entry. */

export interface CronTask {
  stop(): void;
  nextRun(): Date | null;
}

export type Scheduler = (expression: string, tick: () => void) => Promise<CronTask>;

/**
 * node-cron, lazily. In the CommonJS bundle (dist/runch.cjs) through require, so esbuild bundles node-cron's CJS
 * build (its ESM build reads import.meta.url at load, which a CJS bundle does not have); from source, import().
 */
async function loadCron(): Promise<typeof import('node-cron')> {
  if (typeof require === 'function') return require('node-cron') as typeof import('node-cron');
  const name = 'node-cron';
  return (await import(name)) as typeof import('node-cron');
}

export const nodeCronScheduler: Scheduler = async (expression, tick) => {
  const cron = await loadCron();
  if (!cron.validate(expression)) throw new Error('node-cron cannot read it');
  const task = cron.schedule(expression, tick, { noOverlap: true, name: expression });
  return { stop: () => void task.destroy(), nextRun: () => task.getNextRun() };
};

/** The schedule of one entry: replaced when the schedule changes, stopped when the entry stops being cron. */
export class CronSlot {
  readonly #scheduler: Scheduler;
  #task: CronTask | undefined;
  #schedule: string | undefined;

  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
  }

  ensure(schedule: string, tick: () => void, onReady: () => void, onError: (message: string) => void): void {
    if (this.#schedule === schedule) return;
    this.stop();
    this.#schedule = schedule;
    this.#scheduler(schedule, tick).then(
      (task) => {
        if (this.#schedule !== schedule) return task.stop();
        this.#task = task;
        onReady();
      },
      (error: unknown) => {
        this.#schedule = undefined;
        onError(`cron schedule "${schedule}": ${(error as Error).message}`);
      },
    );
  }

  /** Time (ms) of the next tick, when known. */
  next(): number | null {
    return this.#task?.nextRun()?.getTime() ?? null;
  }

  stop(): void {
    this.#task?.stop();
    this.#task = undefined;
    this.#schedule = undefined;
  }
}
