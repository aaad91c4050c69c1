import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { VzError } from '../../base/errors.ts';
import { LOG_HEAD_BYTES, type LogCursor, type LogsAnswer } from '../../base/host-contract.ts';
import { logPath } from '../../supervisor/logs/file.ts';
import { tailLines } from '../../supervisor/logs/read.ts';

/** Rotation keeps at most this many generations (the table's log-keep bound): the search for a cursor stops there. */
const MAX_GENERATIONS = 1000;
/** What one answer may carry of each rotated file, in units of the request's maxBytes. */
const ROTATED_FACTOR = 8;

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

function readRange(path: string, from: number, to: number): Buffer {
  if (to <= from) return Buffer.alloc(0);
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(to - from);
    const read = readSync(fd, buffer, 0, buffer.length, from);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** The first `bytes` bytes of a file, base64 (what a cursor remembers to know the file again). */
function headOf(path: string, bytes: number): string {
  const size = sizeOf(path) ?? 0;
  return readRange(path, 0, Math.min(bytes, size)).toString('base64');
}

function linesOf(buffer: Buffer): string[] {
  if (buffer.length === 0) return [];
  const lines = buffer.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Which file is which: inode, mtime (ns) and size. Rotation renames the older generations (keeping this) and writes a
 * new `.1` by copy (a new one), so the `.1` a cursor saw is found again wherever it went.
 */
function identityOf(path: string): string {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.ino}:${s.mtimeNs}:${s.size}`;
  } catch {
    return '';
  }
}

/**
 * The generation (1 = newest rotated) that was the current file when the cursor was taken. The `.1` of that time is
 * now one further: the copy of our file is just before it. With no `.1` then, every rotated file came after, and ours
 * is the oldest of them; the first bytes and the length confirm it (rotation copies, then truncates).
 */
function generationOf(dir: string, app: string, cursor: LogCursor): number | undefined {
  const length = Buffer.from(cursor.head, 'base64').length;
  const fits = (g: number) => (sizeOf(logPath(dir, app, g)) ?? -1) >= cursor.offset && headOf(logPath(dir, app, g), length) === cursor.head;
  let oldest = 0;
  while (oldest < MAX_GENERATIONS && sizeOf(logPath(dir, app, oldest + 1)) !== undefined) oldest++;
  if (cursor.rotated) {
    for (let g = 2; g <= oldest; g++) if (identityOf(logPath(dir, app, g)) === cursor.rotated) return fits(g - 1) ? g - 1 : undefined;
    return undefined;
  }
  return oldest > 0 && fits(oldest) ? oldest : undefined;
}

/** An app's log is there if the current file or a rotated one is: an app that has only a past still has its log. */
export function hasLog(dir: string, app: string): boolean {
  return existsSync(logPath(dir, app)) || existsSync(logPath(dir, app, 1));
}

/**
 * `runch host logs`. Without a cursor: the last `lines` lines (reaching into rotated files, oldest first) and a cursor
 * at the end of the last complete line. With one: the complete lines written since, at most `maxBytes` of the
 * current file per answer. A rotation is seen by the identity of `.1` (or a shorter file, other first bytes): the rest of the generation the cursor
 * was in, then every newer generation in order, then the current file. Lines rotated away entirely are a `gap`.
 */
export function readLog(dir: string, app: string, request: { lines: number; maxBytes: number }, cursor?: LogCursor): LogsAnswer {
  if (!hasLog(dir, app)) throw new VzError('not-found', `no log for app "${app}" on this host`);
  const current = logPath(dir, app);
  const size = sizeOf(current) ?? 0;
  if (!cursor) {
    // A last line still being written is not shown yet: the first poll gives it whole.
    const partial = size > 0 && readRange(current, size - 1, size)[0] !== 0x0a;
    const lines = request.lines === 0 ? [] : tailLines(dir, app, request.lines + (partial ? 1 : 0));
    if (partial) lines.pop();
    const offset = partial ? lastNewline(current, size) : size;
    return { ok: true, lines: lines.slice(-request.lines), cursor: cursorAt(dir, app, offset) };
  }
  const lines: string[] = [];
  let gap = false;
  let offset = cursor.offset;
  const length = Buffer.from(cursor.head, 'base64').length;
  // Another `.1` than the cursor saw: rotated since, even when the new file starts as the old one did.
  const rotated = size < offset || (length > 0 && headOf(current, length) !== cursor.head) || identityOf(logPath(dir, app, 1)) !== (cursor.rotated ?? '');
  if (rotated) {
    const generation = generationOf(dir, app, cursor);
    if (generation === undefined) gap = offset > 0;
    else
      for (let g = generation; g >= 1; g--) {
        const path = logPath(dir, app, g);
        const end = sizeOf(path) ?? 0;
        const from = g === generation ? offset : 0;
        // The rest of a rotated file is read whole (a cursor points only into the current file), up to a bound far
        // above the table's default log size; past it, its start is skipped (and said).
        const start = Math.max(from, end - ROTATED_FACTOR * request.maxBytes);
        if (start > from) gap = true;
        lines.push(...linesOf(readRange(path, start, end)));
      }
    offset = 0;
  }
  const chunk = readRange(current, offset, Math.min(size, offset + request.maxBytes));
  const complete = chunk.lastIndexOf(0x0a) + 1;
  // Only whole lines; a line longer than one answer is given in pieces rather than never.
  const taken = complete > 0 ? complete : chunk.length === request.maxBytes ? chunk.length : 0;
  lines.push(...linesOf(chunk.subarray(0, taken)));
  const answer: LogsAnswer = { ok: true, lines, cursor: cursorAt(dir, app, offset + taken) };
  if (gap) answer.gap = true;
  return answer;
}

function cursorAt(dir: string, app: string, offset: number): LogCursor {
  const rotated = identityOf(logPath(dir, app, 1));
  return { offset, head: headOf(logPath(dir, app), LOG_HEAD_BYTES), ...(rotated ? { rotated } : {}) };
}

/** The offset just past the last newline before `size` (0 when there is none). */
function lastNewline(path: string, size: number): number {
  const window = 64 * 1024;
  for (let end = size; end > 0; end -= window) {
    const start = Math.max(0, end - window);
    const index = readRange(path, start, end).lastIndexOf(0x0a);
    if (index >= 0) return start + index + 1;
  }
  return 0;
}
