import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { splitBlock } from '../block.ts';
import type { Crontab, CrondFound } from './crontab.ts';

/** Crontab directories busybox crond is built to read (Debian's default; Alpine's), where a block is looked for when no crond runs. */
const KNOWN_DIRS = ['/etc/crontabs', '/var/spool/cron/crontabs'];

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The cron daemon running on this host, found by its process (/proc, the host's own pid namespace). busybox crond
 * chdirs into its crontab directory and stays there, so its working directory is where it reads crontabs, whatever
 * -c or its build said.
 */
export function findCrond(): CrondFound {
  let other: CrondFound = { kind: 'none' };
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const argv = read(`/proc/${name}/cmdline`)?.split('\0') ?? [];
    let exe: string;
    try {
      exe = readlinkSync(`/proc/${name}/exe`).replace(/ \(deleted\)$/, '');
    } catch {
      continue;
    }
    const busybox = basename(exe) === 'busybox' && (basename(argv[0] ?? '') === 'crond' || (basename(argv[0] ?? '') === 'busybox' && argv[1] === 'crond'));
    if (busybox) {
      try {
        return { kind: 'busybox', crond: { pid: Number(name), dir: readlinkSync(`/proc/${name}/cwd`) } };
      } catch {
        continue;
      }
    }
    if (/^(crond|cron|cronie|fcron|dcron)$/.test(basename(exe))) other = { kind: 'other', pid: Number(name), binary: exe };
  }
  return other;
}

/**
 * root's crontab as vz edits it: the running busybox crond's, else the first known one holding vz's block (so a
 * schedule can still be removed while crond is down), else undefined.
 */
export function readCrontab(found: CrondFound): Crontab | undefined {
  if (found.kind === 'busybox') {
    const path = join(found.crond.dir, 'root');
    return { path, text: read(path) };
  }
  for (const dir of KNOWN_DIRS) {
    const path = join(dir, 'root');
    const text = read(path);
    try {
      if (text !== undefined && splitBlock(text, path)) return { path, text };
    } catch {
      return { path, text }; // a broken block: the plan refuses it, naming the file
    }
  }
  return undefined;
}

/**
 * busybox crond notices a changed directory by its mtime, in whole seconds, once a minute; a change within the
 * second of its last look would wait for its hourly rescan. `cron.update` naming root makes it re-read root's
 * crontab on its next wake, before it starts that minute's jobs (as busybox crontab does).
 */
export function tellCrond(crontab: Crontab): void {
  writeFileSync(join(crontab.path, '..', 'cron.update'), 'root\n', { flag: 'a' });
}
