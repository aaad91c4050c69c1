import { readFileSync, statSync } from 'node:fs';

/** The table file as one read saw it: identity (inode, size, mtime) and text; `text` undefined when missing. */
export interface TableSnapshot {
  stamp: string;
  text: string | undefined;
  /** Why it could not be read (not ENOENT). */
  error?: string;
}

export function snapshotTable(path: string): TableSnapshot {
  try {
    const s = statSync(path);
    return { stamp: `${s.ino}:${s.size}:${s.mtimeMs}`, text: readFileSync(path, 'utf8') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { stamp: 'missing', text: undefined };
    return { stamp: 'unreadable', text: undefined, error: (error as Error).message };
  }
}

const same = (a: TableSnapshot, b: TableSnapshot) => a.stamp === b.stamp && a.text === b.text;

/** How long a table must stand still (same inode, size, mtime and text) before a reload applies it. */
export const SETTLE_MS = 250;

/**
 * An editor that writes in place truncates the table, then writes it: in between the file is empty or half
 * written. A reload therefore applies a table only once two reads `ms` apart saw the same file; any change in
 * between starts the wait again. `onDue` is called when a waiting table may have settled (to read it again).
 */
export class TableSettle {
  readonly #ms: number;
  readonly #onDue: () => void;
  #candidate: (TableSnapshot & { since: number }) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number, onDue: () => void) {
    this.#ms = ms;
    this.#onDue = onDue;
  }

  /** true: this snapshot has stood still long enough to be applied; false: wait (a re-check is armed). */
  offer(now: TableSnapshot): boolean {
    const at = Date.now();
    if (this.#candidate && same(this.#candidate, now)) {
      if (at - this.#candidate.since >= this.#ms) {
        this.cancel();
        return true;
      }
    } else this.#candidate = { ...now, since: at };
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#onDue();
    }, this.#candidate.since + this.#ms - at + 5);
    return false;
  }

  cancel(): void {
    this.#candidate = undefined;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
