import { readFileSync } from 'node:fs';
import { writeAtomic } from '../base/atomic.ts';
import { VzError } from '../base/errors.ts';
import { symlinkChain } from './chain.ts';

/**
 * A spec: the host paths a rootfs is copied from, absolute, one per line, sorted, unique. Blank lines and lines
 * starting with # are ignored when reading. A directory in a spec means the directory itself, not its content.
 */
export function parseSpec(text: string, source: string): string[] {
  const paths = new Set<string>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) return;
    if (!line.startsWith('/')) throw new VzError('invalid-config', `${source}:${index + 1}: "${line}" is not an absolute path: write paths such as /bin/ls, one per line`);
    paths.add(line);
  });
  return sortPaths(paths);
}

export function readSpec(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new VzError('not-found', `cannot read the spec ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  return parseSpec(text, file);
}

/** Byte order (not locale order), so the same set always gives the same file. */
export function sortPaths(paths: Iterable<string>): string[] {
  return [...new Set(paths)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export async function writeSpec(file: string, paths: Iterable<string>): Promise<void> {
  const sorted = sortPaths(paths);
  const bad = sorted.find((p) => p.includes('\n') || !p.startsWith('/'));
  if (bad !== undefined) throw new VzError('invalid-config', `path ${JSON.stringify(bad)} cannot be written in a spec (one absolute path per line)`);
  await writeAtomic(file, sorted.map((p) => `${p}\n`).join(''));
}

/** Every path with its whole symlink chain; paths missing on the host are returned apart. */
export function expandChains(paths: Iterable<string>): { present: string[]; missing: string[] } {
  const present = new Set<string>();
  const missing: string[] = [];
  for (const path of paths) {
    const chain = symlinkChain(path);
    if (chain === undefined) missing.push(path);
    else for (const p of chain) present.add(p);
  }
  return { present: sortPaths(present), missing };
}
