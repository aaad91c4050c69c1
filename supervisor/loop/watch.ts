import { watch, type FSWatcher } from 'node:fs';
import { isAlive } from '../../base/proc.ts';
import { rotateIfBig } from '../logs/file.ts';

/**
 * Adopted containers (found running after a supervisor restart) are not our children: no waitpid, no exit event,
 * and Node has no pidfd. Their liveness is checked from /proc (pid + kernel start time) on one timer shared by all
 * of them, only while there are any; a container we started ourselves is never polled.
 */
export class AdoptWatch {
  readonly #watched = new Map<string, { pid: number; startTime: number; onGone: () => void }>();
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  add(id: string, pid: number, startTime: number, onGone: () => void): void {
    this.#watched.set(id, { pid, startTime, onGone });
    this.#timer ??= setInterval(() => this.#check(), this.#intervalMs);
  }

  remove(id: string): void {
    this.#watched.delete(id);
    if (this.#watched.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  get size(): number {
    return this.#watched.size;
  }

  #check(): void {
    for (const [id, watched] of this.#watched) {
      if (isAlive(watched.pid, watched.startTime)) continue;
      this.remove(id);
      watched.onGone();
    }
  }

  close(): void {
    this.#watched.clear();
    this.remove('');
  }
}

/**
 * Log rotation driven by writes: one inotify watch on the log dir; a write to <id>.log schedules one size check
 * 100 ms later (so a chatty container costs one stat per 100 ms, not one per line).
 */
export class LogWatch {
  readonly #dir: string;
  readonly #limits = new Map<string, { size: number; keep: number }>();
  readonly #pending = new Set<string>();
  #watcher: FSWatcher | undefined;
  readonly #onError: (id: string, error: unknown) => void;

  constructor(dir: string, onError: (id: string, error: unknown) => void) {
    this.#dir = dir;
    this.#onError = onError;
  }

  start(): void {
    this.#watcher = watch(this.#dir, (_event, name) => {
      if (!name || !name.endsWith('.log')) return;
      const id = name.slice(0, -'.log'.length);
      if (!this.#limits.has(id) || this.#pending.has(id)) return;
      this.#pending.add(id);
      setTimeout(() => {
        this.#pending.delete(id);
        this.check(id);
      }, 100).unref();
    });
    this.#watcher.on('error', () => undefined);
  }

  set(id: string, size: number, keep: number): void {
    this.#limits.set(id, { size, keep });
  }

  delete(id: string): void {
    this.#limits.delete(id);
  }

  check(id: string): void {
    const limit = this.#limits.get(id);
    if (!limit) return;
    try {
      rotateIfBig(this.#dir, id, limit.size, limit.keep);
    } catch (error) {
      this.#onError(id, error);
    }
  }

  close(): void {
    this.#watcher?.close();
  }
}
