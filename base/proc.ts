import { readdirSync, readFileSync } from 'node:fs';

/** Why: a pid alone can be reused; pid + kernel start time identifies one process for its whole life. */
export function processStartTime(pid: number): number | undefined {
  const info = readStat(pid);
  return info?.startTime;
}

interface StatInfo {
  state: string;
  startTime: number;
  pgid: number;
  ppid: number;
  /** The session id. */
  sid: number;
}

export function readStat(pid: number): StatInfo | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], ppid: Number(fields[1]), pgid: Number(fields[2]), sid: Number(fields[3]), startTime: Number(fields[19]) };
}

/** Alive means: the pid exists, is not a zombie, and started when we recorded it. */
export function isAlive(pid: number, startTime: number): boolean {
  if (!pid) return false;
  const info = readStat(pid);
  if (!info) return false;
  if (info.state === 'Z' || info.state === 'X') return false;
  return info.startTime === startTime;
}

/** Every live pid on the machine (as this pid namespace sees them). */
export function listPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}
