/** The syscalls strace-trace asks for; `?` lets strace skip the ones this architecture lacks (stat64 on x86_64). */
export const TRACED = [
  'open', 'openat', 'openat2', 'execve', 'execveat', 'stat', 'lstat', 'stat64', 'lstat64', 'newfstatat', 'fstatat64',
  'statx', 'access', 'faccessat', 'faccessat2', 'readlink', 'readlinkat',
];
const DIRFD_FIRST = new Set(['openat', 'openat2', 'execveat', 'newfstatat', 'fstatat64', 'statx', 'faccessat', 'faccessat2', 'readlinkat']);

export interface TracedPath {
  syscall: string;
  /** Absolute path as the process named it (before symlinks). */
  path: string;
  /** Opened with O_CREAT: the program's output, not part of its rootfs. */
  creates: boolean;
}

/** Decodes strace's C-style escapes (\" \\ \n \t \xHH \NNN) into the bytes, read as UTF-8. */
function readQuoted(text: string, start: number, end: string): { value: string; next: number } | undefined {
  const bytes: number[] = [];
  let i = start;
  while (i < text.length && text[i] !== end) {
    if (text[i] !== '\\') {
      bytes.push(...Buffer.from(text[i], 'utf8'));
      i++;
      continue;
    }
    const c = text[i + 1];
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, '"': 34, '\\': 92, "'": 39, '<': 60, '>': 62 };
    if (c === 'x') {
      bytes.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 4;
    } else if (/[0-7]/.test(c)) {
      const digits = /^[0-7]{1,3}/.exec(text.slice(i + 1))![0];
      bytes.push(parseInt(digits, 8));
      i += 1 + digits.length;
    } else {
      bytes.push(simple[c] ?? c.charCodeAt(0));
      i += 2;
    }
  }
  if (i >= text.length) return undefined;
  return { value: Buffer.from(bytes).toString('utf8'), next: i + 1 };
}

/**
 * Pure: one line of `strace -y -z` output (optionally "PID " first) to the path it names, made absolute with the
 * directory strace shows for the dirfd (AT_FDCWD</cwd>) or, for execve and friends, the last cwd seen (`cwd`).
 */
export function parseStraceLine(line: string, cwd: string): (TracedPath & { cwd?: string }) | undefined {
  const call = /^(?:\d+\s+)?([a-z0-9_]+)\((.*)$/.exec(line);
  if (!call || !TRACED.includes(call[1])) return undefined;
  const [, syscall, args] = call;
  const result = /\)\s+= (-?\d+|0x[0-9a-f]+)/.exec(args);
  if (!result || result[1].startsWith('-')) return undefined;
  let at = 0;
  let base = cwd;
  let seenCwd: string | undefined;
  if (DIRFD_FIRST.has(syscall)) {
    const fd = /^(AT_FDCWD|-?\d+)/.exec(args);
    if (!fd) return undefined;
    at = fd[0].length;
    if (args[at] === '<') {
      const dir = readQuoted(args, at + 1, '>');
      if (!dir) return undefined;
      base = dir.value;
      if (fd[1] === 'AT_FDCWD') seenCwd = dir.value;
      at = dir.next;
    } else if (fd[1] !== 'AT_FDCWD') return undefined; // a directory fd strace could not name
    if (!args.startsWith(', ', at)) return undefined;
    at += 2;
  }
  if (args[at] !== '"') return undefined;
  const quoted = readQuoted(args, at + 1, '"');
  if (!quoted || quoted.value === '') return { syscall, path: '', creates: false, cwd: seenCwd };
  const joined = quoted.value.startsWith('/') ? quoted.value : `${base.replace(/\/$/, '')}/${quoted.value}`;
  // only `.` and doubled slashes go here: `..` is left to symlinkChain, which resolves it after symlinks as the kernel does
  const path = joined.replace(/\/(\.?\/)+/g, '/').replace(/(.)\/\.?$/, '$1');
  const creates = /\bO_CREAT\b/.test(args.slice(quoted.next, result.index));
  return { syscall, path, creates, cwd: seenCwd };
}

const DROPPED = ['/proc', '/sys', '/dev', '/run', '/tmp'];

/**
 * Runtime file systems runch mounts (or per-run state): never part of a rootfs. /etc/ld.so.cache describes the
 * host's libraries, not the rootfs's: without it the loader searches its default directories.
 */
export function isDropped(path: string): boolean {
  return path === '/' || path === '/etc/ld.so.cache' || DROPPED.some((d) => path === d || path.startsWith(`${d}/`));
}

/** Pure: every path of one process's trace (one `strace -ff` file), in order. */
export function pathsOfTrace(text: string, initialCwd: string): { paths: string[]; execs: string[] } {
  let cwd = initialCwd;
  const paths: string[] = [];
  const execs: string[] = [];
  for (const line of text.split('\n')) {
    const traced = parseStraceLine(line, cwd);
    if (!traced) continue;
    if (traced.cwd) cwd = traced.cwd;
    if (traced.path === '' || traced.creates) continue;
    paths.push(traced.path);
    if (traced.syscall === 'execve' || traced.syscall === 'execveat') execs.push(traced.path);
  }
  return { paths, execs };
}
