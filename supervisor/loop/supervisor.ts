import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { processStartTime } from '../../base/proc.ts';
import type { StateStore } from '../../runch/state/store.ts';
import type { PolicyConfig } from '../policy/index.ts';
import { type SupervisorState, type UnitRecord, readState, writeState, writeStateSync } from '../state/file.ts';
import { type TableEntry, type TableError, parseTable, readTable } from '../table/index.ts';
import { forgetForm, loadState, remove } from './runtime.ts';
import { nodeCronScheduler } from './cron.ts';
import { Unit, type UnitContext, actionText } from './unit.ts';
import { AdoptWatch, LogWatch } from './watch.ts';
import { SETTLE_MS, TableSettle, snapshotTable } from './settle.ts';

export interface SupervisorOptions {
  store: StateStore;
  table: string;
  stateDir: string;
  logDir: string;
  policy: PolicyConfig;
  log: Logger;
  /** /proc check interval for adopted containers. */
  adoptPollMs: number;
}

const same = (a: TableEntry, b: TableEntry) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The host's supervisor: the table's entries as units, driven only by events (child exits, signals, timers, table
 * changes). It owns the table watch, the state file and the shutdown.
 */
export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly units = new Map<string, Unit>();
  #tableErrors: TableError[] = [];
  #tableStamp = '';
  readonly #settle = new TableSettle(SETTLE_MS, () => this.refresh(false));
  #stopping = false;
  #writing = false;
  #dirty = false;
  #writeFailed = false;
  #retry: NodeJS.Timeout | undefined;
  #watcher: FSWatcher | undefined;
  #debounce: NodeJS.Timeout | undefined;
  readonly #since = new Date().toISOString();
  readonly #ctx: UnitContext;
  readonly #adopt: AdoptWatch;
  readonly #logs: LogWatch;

  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.#adopt = new AdoptWatch(options.adoptPollMs);
    this.#logs = new LogWatch(options.logDir, (id, error) => options.log.warn({ event: 'rotate-failed', id, err: String(error) }, 'log rotation failed'));
    this.#ctx = {
      store: options.store,
      logDir: options.logDir,
      policy: options.policy,
      log: options.log,
      adopt: this.#adopt,
      logs: this.#logs,
      changed: () => this.#persist(),
      refreshTable: () => this.refresh(false),
      shuttingDown: () => this.#stopping,
      forget: (unit) => {
        if (this.units.get(unit.id) === unit && unit.removed) {
          this.units.delete(unit.id);
          this.#logs.delete(unit.id);
          // Its compiled form goes with it, unless another entry still runs the same bundle.
          if (![...this.units.values()].some((other) => other.entry.bundle === unit.entry.bundle)) forgetForm(this.#o.store, unit.entry.bundle);
          this.#persist();
        }
      },
      schedule: nodeCronScheduler,
    };
  }

  /** Boot: adopt what still runs from a previous supervisor, resume holds, start the rest. */
  async start(): Promise<void> {
    mkdirSync(this.#o.logDir, { recursive: true, mode: 0o755 });
    mkdirSync(dirname(this.#o.table), { recursive: true, mode: 0o755 });
    this.#o.store.ensureRoot();
    this.#logs.start();
    const previous = new Map((readState(this.#o.stateDir)?.units ?? []).map((unit) => [unit.id, unit]));
    // Stamp before reading: a table written while booting (before the watch starts) differs from the stamp, and
    // the refresh after the watch starts catches it instead of waiting for the next edit.
    this.#tableStamp = this.#stamp();
    const table = readTable(this.#o.table);
    this.#setErrors(table.errors);
    const keepIds = new Set(table.errors.map((e) => e.id).filter((id): id is string => id !== undefined));
    const boots: Promise<void>[] = [];
    for (const entry of table.entries) boots.push(this.#boot(new Unit(entry, this.#ctx), previous.get(entry.id)));
    // Containers a previous supervisor ran whose entries are gone: adopted, then stopped (or kept, when the
    // line is only malformed: a typo must not stop a service).
    for (const [id, record] of previous) {
      if (this.units.has(id) || table.entries.some((e) => e.id === id)) continue;
      const running = loadState(this.#o.store, id);
      if (!running || running.status !== 'running') continue;
      const unit = new Unit({ id, bundle: record.bundle, action: 'respawn', restart: 'always', stopSignal: 'SIGTERM', stopTimeoutMs: 10_000, logSize: 1 << 20, logKeep: 5 }, this.#ctx);
      unit.removed = !keepIds.has(id);
      if (!unit.removed) unit.error = table.errors.find((e) => e.id === id)?.message ?? null;
      boots.push(this.#boot(unit, record));
    }
    await Promise.all(boots);
    if (this.#stopping) return; // a SIGTERM during boot: shutdown() has it; no watch to keep the process alive
    this.#watch();
    this.#o.log.info({ event: 'supervisor-start', pid: process.pid, table: this.#o.table, entries: table.entries.length, errors: table.errors.length }, 'supervising');
    this.#persist();
    this.refresh(false);
  }

  async #boot(unit: Unit, record: UnitRecord | undefined): Promise<void> {
    this.units.set(unit.id, unit);
    if (record && record.bundle === unit.entry.bundle) {
      unit.tally = record.tally;
      unit.lastExit = record.lastExit;
    }
    const existing = loadState(this.#o.store, unit.id);
    if (existing?.status === 'running') {
      const startedAt = record?.startedAt && record.pid === existing.pid ? Date.parse(record.startedAt) : Date.now();
      unit.adoptRunning(existing.pid, existing.startTime, startedAt);
      // the table changed while no supervisor ran: restart it as a reload would
      if (record && record.wanted !== 'removed' && !unit.removed && (record.wanted !== actionText(unit.entry) || record.bundle !== unit.entry.bundle)) unit.fresh = true;
      if (unit.removed || unit.entry.action === 'off' || unit.fresh) await unit.converge();
      return;
    }
    if (existing) await remove(this.#o.store, unit.id); // created, creating or stopped: a leftover of a crash
    if (unit.removed) {
      this.units.delete(unit.id);
      return;
    }
    const sameEntry = record && record.wanted === actionText(unit.entry) && record.bundle === unit.entry.bundle;
    if (sameEntry && (record.state === 'backoff' || record.state === 'crash-loop') && record.nextTry) {
      unit.resumeWait(record.state, Date.parse(record.nextTry));
      return;
    }
    if (sameEntry && record.held) {
      // the policy left it down (exited, once done, stopped under unless-stopped): a new supervisor agrees
      unit.restoreHeld(record.state === 'stopped' ? 'stopped' : record.state === 'scheduled' ? 'scheduled' : 'exited');
    }
    await unit.converge();
  }

  /**
   * Table changed (watch, SIGHUP, or a unit's check before a restart): apply only the differences, once the file has
   * stood still (settle.ts; SIGHUP's `force` applies at once). A 0-byte table while containers run is a write in
   * progress, never "stop everything"; an unreadable one changes nothing. Either says so in one log line.
   */
  refresh(force: boolean, retryInvalid = false): void {
    if (this.#stopping) return;
    const snapshot = snapshotTable(this.#o.table);
    if (!force && snapshot.stamp === this.#tableStamp) {
      this.#settle.cancel(); // back to what is applied (a change undone): nothing to wait for
      return;
    }
    if (!force && !this.#settle.offer(snapshot)) return;
    this.#settle.cancel();
    this.#tableStamp = snapshot.stamp;
    if (snapshot.error !== undefined) {
      this.#o.log.error({ event: 'table-unreadable', err: `cannot read the table ${this.#o.table}: ${snapshot.error}` }, 'table unreadable: nothing changed');
      return;
    }
    if (snapshot.text === '' && [...this.units.values()].some((unit) => !unit.removed)) {
      this.#o.log.error({ event: 'table-empty', table: this.#o.table }, 'table is empty (a write in progress?): nothing changed; to stop every container remove their lines and keep a comment, or delete the file');
      return;
    }
    const table = parseTable(snapshot.text ?? '');
    this.#setErrors(table.errors);
    const inTable = new Set(table.entries.map((e) => e.id));
    const errorIds = new Map(table.errors.filter((e) => e.id).map((e) => [e.id!, e.message]));
    let started = 0;
    let changed = 0;
    let removed = 0;
    for (const entry of table.entries) {
      const unit = this.units.get(entry.id);
      if (!unit || unit.removed) {
        const fresh = new Unit(entry, this.#ctx);
        this.units.set(entry.id, fresh);
        started++;
        void fresh.converge();
        continue;
      }
      unit.error = unit.state === 'invalid' ? unit.error : null;
      if (!same(unit.entry, entry)) {
        unit.entry = entry;
        unit.fresh = true;
        changed++;
        void unit.converge();
      } else if (retryInvalid && unit.state === 'invalid') {
        unit.fresh = true;
        void unit.converge();
      }
    }
    for (const unit of this.units.values()) {
      if (inTable.has(unit.id) || unit.removed) continue;
      const lineError = errorIds.get(unit.id);
      if (lineError) {
        unit.error = lineError; // a malformed line leaves its container as it was
        continue;
      }
      unit.removed = true;
      removed++;
      void unit.converge();
    }
    this.#o.log.info({ event: 'reload', added: started, changed, removed, errors: table.errors.length }, 'table reloaded');
    this.#persist();
  }

  #setErrors(errors: TableError[]): void {
    this.#tableErrors = errors;
    for (const error of errors) this.#o.log.error({ event: 'table-error', line: error.line, id: error.id, err: error.message }, error.message);
  }

  #stamp(): string {
    return snapshotTable(this.#o.table).stamp;
  }

  /** Watch the table's directory (an atomic rename replaces the file's inode, so the file itself cannot be watched). */
  #watch(): void {
    const name = basename(this.#o.table);
    this.#watcher = watch(dirname(this.#o.table), (_event, file) => {
      if (file !== name) return;
      if (this.#debounce) clearTimeout(this.#debounce);
      this.#debounce = setTimeout(() => this.refresh(false), 20);
    });
    this.#watcher.on('error', (error) => this.#o.log.error({ event: 'watch-failed', err: String(error) }, 'table watch failed: SIGHUP reloads'));
  }

  snapshot(running = !this.#stopping): SupervisorState {
    return {
      supervisor: { pid: process.pid, startTime: processStartTime(process.pid) ?? 0, since: this.#since, table: this.#o.table, running },
      updated: new Date().toISOString(),
      tableErrors: this.#tableErrors,
      units: [...this.units.values()].map((unit) => unit.record()).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    };
  }

  /** Coalesce changes into one atomic write; a failed write (disk full) keeps the old file and retries in 1 s. */
  #persist(): void {
    this.#dirty = true;
    if (this.#writing) return;
    this.#writing = true;
    setImmediate(async () => {
      while (this.#dirty) {
        this.#dirty = false;
        try {
          await writeState(this.#o.stateDir, this.snapshot());
          if (this.#writeFailed) this.#o.log.info({ event: 'state-write-ok' }, 'state written again');
          this.#writeFailed = false;
        } catch (error) {
          if (!this.#writeFailed) this.#o.log.error({ event: 'state-write-failed', err: (error as Error).message }, 'state not written; the previous one stands');
          this.#writeFailed = true;
          this.#retry ??= setTimeout(() => {
            this.#retry = undefined;
            this.#persist();
          }, 1000);
          break;
        }
      }
      this.#writing = false;
    });
  }

  /** SIGTERM: stop every container (stop signal, timeout, SIGKILL, delete), write the state, return. */
  async shutdown(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#o.log.info({ event: 'supervisor-stop', units: this.units.size }, 'stopping every container');
    this.#watcher?.close();
    this.#settle.cancel();
    this.#logs.close();
    if (this.#retry) clearTimeout(this.#retry);
    await Promise.all([...this.units.values()].map((unit) => unit.shutdown()));
    this.#adopt.close();
    this.finalWrite();
    this.#o.log.info({ event: 'supervisor-exit' }, 'stopped');
  }

  /** Last chance (signal-exit): the state as it is, synchronously. */
  finalWrite(): void {
    try {
      writeStateSync(this.#o.stateDir, this.snapshot(false));
    } catch {
      // disk full: the previous state stands
    }
  }
}
