import type { ChildProcess } from 'node:child_process';
import { stopAndDelete } from '../../runch/container/stop.ts';
import { closeQuietly, markLog, openLog } from '../logs/file.ts';
import { type Exit, type Tally, EMPTY_TALLY, decide } from '../policy/index.ts';
import type { UnitRecord, UnitState } from '../state/file.ts';
import type { TableEntry } from '../table/index.ts';
import { type UnitContext, recordOf } from './context.ts';
import { CronSlot } from './cron.ts';
import { isInvalid, launch, remove } from './runtime.ts';
import { type Action, type Event, type State, HAS_PROCESS, decisionEvent, next, visible } from './transitions.ts';

export { actionText, type UnitContext } from './context.ts';

/** Events from outside the unit (the table, its timer, its schedule) that a supervisor shutting down ignores. */
const IGNORED_WHEN_SHUTTING_DOWN: ReadonlySet<Event> = new Set(['start', 'schedule', 'off', 'remove', 'timer', 'tick']);
const STOPPING: ReadonlySet<State> = new Set(['stopping', 'restarting', 'rescheduling', 'removing']);

/**
 * One table entry and its container. What it does is the table in transitions.ts; this class only performs the
 * actions. Every event runs through one queue, so a start, a stop and a death of the same entry never interleave,
 * and an action's outcome (launched, stopped, the decision) is fed back inside the same queued operation.
 */
export class Unit {
  entry: TableEntry;
  readonly #ctx: UnitContext;
  #state: State = 'stopped';
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
  /** The table's side: set by the supervisor when the entry is new or changed (or an invalid one is retried). */
  fresh = true;
  /** The table's side: the entry is gone from it. */
  removed = false;
  /** The policy left it down after its last exit (kept in the state file: a new supervisor agrees). */
  held = false;
  #timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (backoff, crash-loop hold). */
  #waitUntil = 0;
  /** The exit the next `decide` is about. */
  #death: Exit = { code: null, signal: null, ranMs: 0 };
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

  get state(): UnitState {
    return visible(this.#state);
  }

  get running(): boolean {
    return HAS_PROCESS.has(this.#state);
  }

  /** Run one operation after the ones already queued; errors are logged, never thrown into the loop. */
  enqueue(op: () => Promise<void>): Promise<void> {
    this.#queue = this.#queue.then(op).catch((error: unknown) => {
      this.#ctx.log.error({ event: 'error', id: this.id, err: String((error as Error)?.message ?? error) }, 'unit operation failed');
    });
    return this.#queue;
  }

  /** Queue an event (or one computed when its turn comes). */
  #dispatch(event: Event | (() => Event | undefined)): Promise<void> {
    return this.enqueue(async () => {
      const chosen = typeof event === 'function' ? event() : event;
      if (chosen === undefined || (this.#ctx.shuttingDown() && IGNORED_WHEN_SHUTTING_DOWN.has(chosen))) return;
      await this.#feed(chosen);
    });
  }

  /** The table's cell for (state, event): enter its state, perform its actions in order, feed back an outcome. */
  async #feed(first: Event): Promise<void> {
    let event: Event | undefined = first;
    while (event) {
      const cell = next(this.#state, event);
      if (!cell) return; // this event changes nothing in this state (a stale timer, tick or exit)
      this.#enter(cell.state);
      let outcome: Event | undefined;
      for (const action of cell.actions) outcome = (await this.#perform(action)) ?? outcome;
      event = outcome;
    }
  }

  #enter(state: State): void {
    if (visible(state) !== this.state) this.sinceMs = Date.now();
    this.#state = state;
    this.nextTryMs = state === 'backoff' || state === 'crash-loop' ? this.#waitUntil : state === 'scheduled' ? this.#cron.next() : null;
    this.#ctx.changed();
  }

  async #perform(action: Action): Promise<Event | undefined> {
    switch (action) {
      case 'launch':
        return this.#launch();
      case 'stop':
        return this.#stop();
      case 'cleanup':
        await remove(this.#ctx.store, this.id);
        this.pid = 0;
        this.startTime = 0;
        return undefined;
      case 'decide':
        return this.#decide();
      case 'arm':
        this.#arm(Math.max(0, this.#waitUntil - Date.now()));
        return undefined;
      case 'disarm':
        this.#clearTimer();
        return undefined;
      case 'cron-on':
        this.error = null;
        this.#ensureCron();
        return undefined;
      case 'cron-off':
        this.#cron.stop();
        return undefined;
      case 'count-restart':
        this.tally = { ...this.tally, restarts: this.tally.restarts + 1 };
        return undefined;
      case 'reset-streak':
        this.#ctx.log.info({ event: 'cron-run', id: this.id }, 'scheduled run');
        this.tally = { ...this.tally, streak: 0, deaths: [], loops: 0 };
        return undefined;
      case 'hold-down':
        this.held = true;
        return undefined;
      case 'watch':
        this.#ctx.logs.set(this.id, this.entry.logSize, this.entry.logKeep);
        this.#ctx.adopt.add(this.id, this.pid, this.startTime, () => this.#onExit(null, null));
        this.#ctx.log.info({ event: 'adopt', id: this.id, pid: this.pid }, 'adopted a running container');
        return undefined;
      case 'warn-overlap':
        this.#ctx.log.warn({ event: 'cron-overlap', id: this.id, pid: this.pid }, 'previous run still going: this run skipped');
        return undefined;
      case 'forget':
        this.#ctx.forget(this);
        return undefined;
    }
  }

  /** What the state file keeps of this unit. */
  record(): UnitRecord {
    return recordOf(this);
  }

  /** Boot: a container found running is watched from /proc until it dies, never started twice. */
  adoptRunning(pid: number, startTime: number, startedAtMs: number): void {
    this.pid = pid;
    this.startTime = startTime;
    this.adopted = true;
    this.startedAtMs = startedAtMs;
    this.fresh = false;
    this.#run += 1;
    void this.#dispatch('adopt');
  }

  /** Boot: wait out a backoff or crash-loop hold that was under way. */
  resumeWait(state: 'backoff' | 'crash-loop', atMs: number): void {
    this.fresh = false;
    this.#waitUntil = atMs;
    void this.#dispatch(state === 'backoff' ? 'resume-backoff' : 'resume-hold');
  }

  /** Boot: the policy had left it down; the initial state is the one recorded (not a transition). */
  restoreHeld(state: 'stopped' | 'scheduled' | 'exited'): void {
    this.fresh = false;
    this.held = true;
    this.#state = state;
  }

  /** Bring what runs in line with the entry: the table's event, chosen when its turn in the queue comes. */
  converge(): Promise<void> {
    return this.#dispatch(() => {
      const fresh = this.fresh;
      this.fresh = false;
      if (this.removed) return 'remove';
      if (this.entry.action === 'off') return 'off';
      // Untouched entries are left alone: a backoff, a crash-loop hold, an exit the policy accepted all stand.
      if (this.entry.action === 'cron') return fresh || !this.running ? 'schedule' : undefined;
      return fresh ? 'start' : undefined;
    });
  }

  /** Stop for good (supervisor shutdown): no timer or schedule fires from now on. */
  shutdown(): Promise<void> {
    this.#clearTimer();
    this.#cron.stop();
    return this.#dispatch('shutdown');
  }

  async #launch(): Promise<Event> {
    this.held = false;
    this.error = null;
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
      this.error = message;
      if (isInvalid(error)) {
        this.#ctx.log.error({ event: 'invalid', id: this.id, err: message }, 'entry cannot start until the bundle or the table is fixed');
        return 'invalid';
      }
      this.#ctx.log.error({ event: 'start-failed', id: this.id, err: message }, 'container did not start');
      this.startedAtMs = Date.now();
      this.#death = { code: null, signal: null, ranMs: 0 };
      return 'launch-failed';
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
    this.#ctx.logs.set(this.id, this.entry.logSize, this.entry.logKeep);
    this.#ctx.logs.check(this.id);
    markLog(this.#ctx.logDir, this.id, `started pid ${this.pid}`);
    this.#ctx.log.info({ event: 'start', id: this.id, pid: this.pid, restarts: this.tally.restarts, t: performance.timeOrigin + performance.now() }, 'started');
    return 'launched';
  }

  /** The process died: noted at once; the event waits its turn (a stop under way deals with it itself). */
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
    if (STOPPING.has(this.#state)) return;
    const run = this.#run;
    void this.enqueue(async () => {
      if (run !== this.#run || !this.pid) return; // a stop or a newer run already dealt with it
      this.#death = exit;
      await this.#feed('exit');
    });
  }

  /** The one restart decision (supervisor/policy), after a re-read of the table: an entry set off is not restarted. */
  #decide(): Event {
    this.pid = 0;
    this.startTime = 0;
    this.#ctx.refreshTable();
    const wantedDown = this.#ctx.shuttingDown() || this.removed || this.entry.action === 'off';
    if (wantedDown) return 'down';
    const decision = decide(
      { policy: this.entry.restart, max: this.entry.restartMax, stopSignal: this.entry.stopSignal, exit: this.#death, tally: this.tally, now: Date.now() },
      this.#ctx.policy,
    );
    this.tally = decision.tally;
    const event = decisionEvent(decision, { wantedDown, cron: this.entry.action === 'cron' });
    if (!decision.restart) {
      this.#ctx.log.info({ event: 'no-restart', id: this.id, reason: decision.reason }, 'not restarted');
      return event;
    }
    this.#waitUntil = Date.now() + decision.delayMs;
    this.#ctx.log.info(
      { event: decision.state, id: this.id, delayMs: decision.delayMs, nextTry: new Date(this.#waitUntil).toISOString(), streak: decision.tally.streak, reason: decision.reason },
      decision.state === 'crash-loop' ? 'crash loop: holding off' : 'restart after backoff',
    );
    return event;
  }

  #arm(delayMs: number): void {
    this.#clearTimer();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#ctx.refreshTable(); // an entry set off meanwhile: its event comes first in the queue
      void this.#dispatch('timer');
    }, delayMs);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The house's one stop procedure (runch/container/stop.ts): stop signal to every process, timeout, SIGKILL, delete. */
  async #stop(): Promise<Event> {
    this.#clearTimer();
    if (!this.pid) return 'stopped';
    const { pid, startTime } = this;
    const { stopSignal, stopTimeoutMs } = this.entry;
    const reason = this.#state === 'restarting' || this.#state === 'rescheduling' ? 'entry changed' : this.removed ? 'removed from the table' : this.#ctx.shuttingDown() ? 'supervisor stopping' : 'set off';
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
    return 'stopped';
  }

  #ensureCron(): void {
    this.#cron.ensure(
      this.entry.schedule!,
      () => this.#cronTick(),
      () => {
        if (this.#state === 'scheduled') this.#enter('scheduled'); // node-cron loaded: the next run's time is known
      },
      (message) => {
        this.error = message;
        void this.#dispatch('invalid');
      },
    );
  }

  #cronTick(): void {
    if (this.removed || this.entry.action !== 'cron') return;
    void this.#dispatch('tick');
  }
}
