import type { ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import type { StateStore } from '../../runch/state/store.ts';
import { closeQuietly, markLog, openLog } from '../logs/file.ts';
import { type Exit, type PolicyConfig, type Tally, EMPTY_TALLY, decide } from '../policy/index.ts';
import type { UnitRecord, UnitState } from '../state/file.ts';
import type { TableEntry } from '../table/index.ts';
import { stopAndDelete } from '../../runch/container/stop.ts';
import { isInvalid, launch, remove } from './runtime.ts';
import type { AdoptWatch, LogWatch } from './watch.ts';
import { CronSlot, type Scheduler } from './cron.ts';

/** What a unit needs from the supervisor around it. */
export interface UnitContext {
  store: StateStore;
  logDir: string;
  policy: PolicyConfig;
  log: Logger;
  adopt: AdoptWatch;
  logs: LogWatch;
  /** The state changed: write it to disk soon. */
  changed(): void;
  /** Re-read the table now if it changed on disk (a `runch disable` may just have set this entry off). */
  refreshTable(): void;
  shuttingDown(): boolean;
  /** A removed entry has stopped: drop it. */
  forget(unit: Unit): void;
  /** Lazily loaded node-cron (only hosts with cron entries pay for it). */
  schedule: Scheduler;
}

export function actionText(entry: TableEntry): string {
  return entry.action === 'cron' ? `cron ${entry.schedule}` : entry.action;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * One table entry and its container: a small state machine. Every operation runs through one queue, so a start,
 * a stop and a death of the same entry never interleave. `converge` is idempotent: it compares what the table wants
 * with what runs and does the difference.
 */
export class Unit {
  entry: TableEntry;
  readonly #ctx: UnitContext;
  state: UnitState = 'stopped';
  pid = 0;
  startTime = 0;
  #child: ChildProcess | undefined;
  adopted = false;
  startedAtMs: number | null = null;
  sinceMs = Date.now();
  tally: Tally = EMPTY_TALLY;
  lastExit: UnitRecord['lastExit'] = null;
  nextTryMs: number | null = null;
  error: string | null = null;
  /** Set when the entry is new or changed (or an invalid one is retried): converge (re)starts it. */
  fresh = true;
  removed = false;
  /** The policy left it down after its last exit. */
  held = false;
  #stopping = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #cron: CronSlot;
  #exitWaiters: (() => void)[] = [];
  #queue: Promise<void> = Promise.resolve();
  /** Counts runs: a death handled late never touches the run after it. */
  #run = 0;

  constructor(entry: TableEntry, ctx: UnitContext) {
    this.entry = entry;
    this.#ctx = ctx;
    this.#cron = new CronSlot(ctx.schedule);
  }

  get id(): string {
    return this.entry.id;
  }

  /** Run one operation after the ones already queued; errors are logged, never thrown into the loop. */
  enqueue(op: () => Promise<void>): Promise<void> {
    this.#queue = this.#queue.then(op).catch((error: unknown) => {
      this.#ctx.log.error({ event: 'error', id: this.id, err: String((error as Error)?.message ?? error) }, 'unit operation failed');
    });
    return this.#queue;
  }

  #set(state: UnitState, extra: { nextTryMs?: number | null; error?: string | null } = {}): void {
    if (state !== this.state) this.sinceMs = Date.now();
    this.state = state;
    this.nextTryMs = extra.nextTryMs ?? null;
    if (extra.error !== undefined) this.error = extra.error;
    this.#ctx.changed();
  }

  get running(): boolean {
    return this.state === 'running' || this.state === 'starting' || this.state === 'stopping';
  }

  record(): UnitRecord {
    return {
      id: this.id,
      wanted: this.removed ? 'removed' : actionText(this.entry),
      state: this.state,
      bundle: this.entry.bundle,
      pid: this.pid,
      startTime: this.startTime,
      restarts: this.tally.restarts,
      since: new Date(this.sinceMs).toISOString(),
      startedAt: iso(this.startedAtMs),
      lastExit: this.lastExit,
      nextTry: iso(this.nextTryMs),
      error: this.error,
      held: this.held,
      tally: this.tally,
    };
  }

  /** A container found running at boot: watched from /proc until it dies, never started twice. */
  adoptRunning(pid: number, startTime: number, startedAtMs: number): void {
    this.pid = pid;
    this.startTime = startTime;
    this.adopted = true;
    this.startedAtMs = startedAtMs;
    this.fresh = false;
    this.#run += 1;
    this.#set('running');
    this.#ctx.logs.set(this.id, this.entry.logSize, this.entry.logKeep);
    this.#ctx.adopt.add(this.id, pid, startTime, () => this.#onExit(null, null));
    this.#ctx.log.info({ event: 'adopt', id: this.id, pid }, 'adopted a running container');
  }

  /** Bring what runs in line with the entry. */
  converge(): Promise<void> {
    return this.enqueue(async () => {
      if (this.#ctx.shuttingDown()) return;
      const { action } = this.entry;
      if (this.removed || action === 'off') {
        this.#clearTimer();
        this.#stopCron();
        if (this.running) await this.#stop(this.removed ? 'removed from the table' : 'set off');
        if (this.state !== 'stopped') this.#set('stopped');
        this.fresh = false;
        if (this.removed) this.#ctx.forget(this);
        return;
      }
      if (this.fresh && this.running) await this.#stop('entry changed');
      if (action === 'cron') {
        this.#ensureCron();
        if (!this.running && this.state !== 'backoff' && this.state !== 'crash-loop') this.#set('scheduled', { nextTryMs: this.#cronNext(), error: null });
        this.fresh = false;
        return;
      }
      this.#stopCron();
      // Untouched entries are left alone: a backoff, a crash-loop hold, an exit the policy accepted all stand.
      if (this.running || !this.fresh) return;
      this.fresh = false;
      this.#clearTimer();
      await this.#start(false);
    });
  }

  /** After a supervisor restart: wait out a backoff or crash-loop hold that was under way. */
  resumeWait(state: 'backoff' | 'crash-loop', atMs: number): void {
    this.fresh = false;
    this.#set(state, { nextTryMs: atMs });
    this.#arm(Math.max(0, atMs - Date.now()));
  }

  async #start(isRestart: boolean): Promise<void> {
    if (isRestart) this.tally = { ...this.tally, restarts: this.tally.restarts + 1 };
    this.held = false;
    this.#set('starting', { error: null });
    let fd: number | 'ignore' = 'ignore';
    try {
      fd = openLog(this.#ctx.logDir, this.id);
    } catch (error) {
      this.#ctx.log.warn({ event: 'log-open-failed', id: this.id, err: (error as Error).message }, 'log file cannot be opened; output discarded');
    }
    let launched;
    try {
      launched = await launch(this.#ctx.store, this.id, this.entry.bundle, fd);
    } catch (error) {
      const message = (error as Error).message;
      if (isInvalid(error)) {
        this.#set('invalid', { error: message });
        this.#ctx.log.error({ event: 'invalid', id: this.id, err: message }, 'entry cannot start until the bundle or the table is fixed');
        return;
      }
      this.#ctx.log.error({ event: 'start-failed', id: this.id, err: message }, 'container did not start');
      this.error = message;
      this.startedAtMs = Date.now();
      await this.#afterDeath({ code: null, signal: null, ranMs: 0 });
      return;
    } finally {
      if (typeof fd === 'number') closeQuietly(fd);
    }
    this.#run += 1;
    this.#child = launched.child;
    this.pid = launched.pid;
    this.startTime = launched.startTime;
    this.adopted = false;
    this.startedAtMs = Date.now();
    const child = launched.child;
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (this.#child === child) this.#onExit(code, signal);
    };
    if (child.exitCode !== null || child.signalCode !== null) queueMicrotask(() => onExit(child.exitCode, child.signalCode));
    else child.once('exit', onExit);
    this.#set('running');
    this.#ctx.logs.set(this.id, this.entry.logSize, this.entry.logKeep);
    this.#ctx.logs.check(this.id);
    markLog(this.#ctx.logDir, this.id, `started pid ${this.pid}`);
    this.#ctx.log.info({ event: 'start', id: this.id, pid: this.pid, restarts: this.tally.restarts, t: performance.timeOrigin + performance.now() }, 'started');
  }

  #onExit(code: number | null, signal: string | null): void {
    const exit: Exit = { code, signal, ranMs: Date.now() - (this.startedAtMs ?? Date.now()) };
    this.#child = undefined;
    this.#ctx.adopt.remove(this.id);
    this.lastExit = { code, signal, at: new Date().toISOString() };
    this.#ctx.log.info({ event: 'exit', id: this.id, pid: this.pid, code, signal, ranMs: exit.ranMs, t: performance.timeOrigin + performance.now() }, 'exited');
    markLog(this.#ctx.logDir, this.id, `pid ${this.pid} exited ${signal ? `by ${signal}` : code === null ? '(status unknown: adopted)' : `with code ${code}`}`);
    const waiters = this.#exitWaiters;
    this.#exitWaiters = [];
    for (const wake of waiters) wake();
    if (this.#stopping) return;
    const run = this.#run;
    this.enqueue(async () => {
      if (run !== this.#run || !this.pid) return; // a stop or a newer run already dealt with it
      await remove(this.#ctx.store, this.id);
      this.pid = 0;
      this.startTime = 0;
      await this.#afterDeath(exit);
    });
  }

  async #afterDeath(exit: Exit): Promise<void> {
    this.pid = 0;
    this.startTime = 0;
    this.#ctx.refreshTable();
    if (this.#ctx.shuttingDown()) return this.#set('stopped');
    if (this.removed || this.entry.action === 'off') return this.#set('stopped');
    const decision = decide(
      { policy: this.entry.restart, max: this.entry.restartMax, stopSignal: this.entry.stopSignal, exit, tally: this.tally, now: Date.now() },
      this.#ctx.policy,
    );
    this.tally = decision.tally;
    if (!decision.restart) {
      this.held = true;
      this.#ctx.log.info({ event: 'no-restart', id: this.id, reason: decision.reason }, 'not restarted');
      if (this.entry.action === 'cron') return this.#set('scheduled', { nextTryMs: this.#cronNext() });
      return this.#set(decision.state);
    }
    const at = Date.now() + decision.delayMs;
    this.#set(decision.state, { nextTryMs: at });
    this.#ctx.log.info(
      { event: decision.state, id: this.id, delayMs: decision.delayMs, nextTry: new Date(at).toISOString(), streak: decision.tally.streak, reason: decision.reason },
      decision.state === 'crash-loop' ? 'crash loop: holding off' : 'restart after backoff',
    );
    if (decision.delayMs === 0) return this.#start(true);
    this.#arm(decision.delayMs);
  }

  #arm(delayMs: number): void {
    this.#clearTimer();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#ctx.refreshTable();
      this.enqueue(async () => {
        if (this.#ctx.shuttingDown() || this.removed || this.entry.action === 'off' || this.running) return;
        if (this.state !== 'backoff' && this.state !== 'crash-loop') return;
        await this.#start(true);
      });
    }, delayMs);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The house's one stop procedure (runch/container/stop.ts): stop signal to every process, timeout, SIGKILL, delete. */
  async #stop(reason: string): Promise<void> {
    this.#clearTimer();
    if (!this.pid) {
      this.#set('stopped');
      return;
    }
    this.#stopping = true;
    this.#set('stopping');
    const { pid, startTime } = this;
    const { stopSignal, stopTimeoutMs } = this.entry;
    this.#ctx.log.info({ event: 'stop', id: this.id, pid, signal: stopSignal, reason }, 'stopping');
    // Our own child's exit event ends the wait at once; an adopted one is seen from /proc.
    const exited = new Promise<void>((resolve) => this.#exitWaiters.push(resolve));
    try {
      await stopAndDelete(this.#ctx.store, this.id, {
        signal: stopSignal as NodeJS.Signals,
        timeoutMs: stopTimeoutMs,
        also: [{ pid, startTime }],
        exited,
        onKill: () => this.#ctx.log.warn({ event: 'kill', id: this.id, pid, afterMs: stopTimeoutMs }, 'stop timeout: SIGKILL'),
      });
    } catch (error) {
      this.#ctx.log.error({ event: 'delete-failed', id: this.id, err: (error as Error).message }, 'stop or runch delete failed');
    }
    this.#child = undefined;
    this.#ctx.adopt.remove(this.id);
    this.pid = 0;
    this.startTime = 0;
    this.#stopping = false;
    this.#set('stopped');
  }

  /** Stop for good (supervisor shutdown). */
  shutdown(): Promise<void> {
    this.#clearTimer();
    this.#stopCron();
    return this.enqueue(async () => {
      if (this.running) await this.#stop('supervisor stopping');
      else if (this.state === 'backoff' || this.state === 'crash-loop' || this.state === 'scheduled') this.#set('stopped');
    });
  }

  #ensureCron(): void {
    this.#cron.ensure(
      this.entry.schedule!,
      () => this.#cronTick(),
      () => this.state === 'scheduled' && this.#set('scheduled', { nextTryMs: this.#cron.next() }),
      (message) => this.#set('invalid', { error: message }),
    );
  }

  #cronTick(): void {
    if (this.running) {
      this.#ctx.log.warn({ event: 'cron-overlap', id: this.id, pid: this.pid }, 'previous run still going: this run skipped');
      return;
    }
    this.enqueue(async () => {
      if (this.running || this.removed || this.entry.action !== 'cron' || this.#ctx.shuttingDown()) return;
      this.#clearTimer();
      this.#ctx.log.info({ event: 'cron-run', id: this.id }, 'scheduled run');
      this.tally = { ...this.tally, streak: 0, deaths: [], loops: 0 };
      await this.#start(false);
    });
  }

  #cronNext(): number | null {
    return this.#cron.next();
  }

  #stopCron(): void {
    this.#cron.stop();
  }
}
