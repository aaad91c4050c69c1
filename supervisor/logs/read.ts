import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, watch } from 'node:fs';
import { logPath } from './file.ts';

/** The last n lines of a container's log, reaching into rotated files when the current one is shorter. */
export function tailLines(dir: string, id: string, n: number): string[] {
  const lines: string[] = [];
  for (let generation = 0; lines.length < n; generation++) {
    const path = logPath(dir, id, generation);
    if (!existsSync(path)) {
      if (generation === 0) continue;
      break;
    }
    const text = readFileSync(path, 'utf8');
    const own = text.split('\n');
    if (own[own.length - 1] === '') own.pop();
    lines.unshift(...own.slice(Math.max(0, own.length - (n - lines.length))));
    if (generation > 1000) break;
  }
  return lines;
}

/**
 * Follow the log: call onLines with each complete new line. A truncate (rotation) starts again at 0.
 * Driven by fs.watch on the file; returns a stop function.
 */
export function follow(dir: string, id: string, onLines: (lines: string[]) => void): () => void {
  const path = logPath(dir, id);
  let offset = existsSync(path) ? statSync(path).size : 0;
  let partial = '';
  const readNew = () => {
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return;
    }
    if (size < offset) offset = 0;
    if (size === offset) return;
    const fd = openSync(path, 'r');
    try {
      const buffer = Buffer.alloc(size - offset);
      const read = readSync(fd, buffer, 0, buffer.length, offset);
      offset += read;
      const text = partial + buffer.subarray(0, read).toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      if (lines.length > 0) onLines(lines);
    } finally {
      closeSync(fd);
    }
  };
  const watcher = watch(dir, (_event, name) => {
    if (name === `${id}.log`) readNew();
  });
  return () => watcher.close();
}
