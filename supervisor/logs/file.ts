import { appendFileSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_LOG_DIR = '/var/log/vz';

/** The log dir: an explicit one, else $VZ_LOG_DIR, else /var/log/vz. */
export function logDir(explicit?: string): string {
  return explicit ?? process.env.VZ_LOG_DIR ?? DEFAULT_LOG_DIR;
}

export function logPath(dir: string, id: string, generation = 0): string {
  return join(dir, generation === 0 ? `${id}.log` : `${id}.log.${generation}`);
}

/**
 * The container's stdout and stderr: a plain file opened O_APPEND, handed to the container as fds 1 and 2.
 * Why a file and not a pipe through the supervisor: the container must outlive a SIGKILLed supervisor without
 * a broken pipe, and no process of ours sits between the program and its log.
 */
export function openLog(dir: string, id: string): number {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return openSync(logPath(dir, id), 'a', 0o640);
}

/** A line of the supervisor's own in the container's log, tagged so it reads apart from the program's. */
export function markLog(dir: string, id: string, text: string): void {
  try {
    appendFileSync(logPath(dir, id), `[vz ${new Date().toISOString()} ${id}] ${text}\n`);
  } catch {
    // a full disk must not stop supervision
  }
}

/**
 * Rotate by size, keeping `keep` older files (<id>.log.1 newest). Copy then truncate: the container's O_APPEND fd
 * goes on writing at the new end of the same file. Lines written between the copy and the truncate are lost (a
 * window of one copy of at most log-size bytes); the price of a log that needs no process in between.
 */
export function rotateIfBig(dir: string, id: string, maxBytes: number, keep: number): boolean {
  const current = logPath(dir, id);
  let size: number;
  try {
    size = statSync(current).size;
  } catch {
    return false;
  }
  if (maxBytes <= 0 || size < maxBytes) return false;
  if (keep > 0) {
    rmSync(logPath(dir, id, keep), { force: true });
    for (let generation = keep - 1; generation >= 1; generation--) {
      const from = logPath(dir, id, generation);
      if (existsSync(from)) renameSync(from, logPath(dir, id, generation + 1));
    }
    copyFileSync(current, logPath(dir, id, 1));
  }
  truncateSync(current, 0);
  return true;
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
