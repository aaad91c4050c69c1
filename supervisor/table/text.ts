import { constants } from 'node:os';
import { parseRestartPolicy } from '../../base/restart-policy.ts';
import { ACTIONS, DEFAULTS, ID_PATTERN, defaultRestart, type TableEntry, tableEntrySchema } from './schema.ts';

/** One line of the table file, kept as written so a rewrite changes only the lines it means to. */
export type TableLine =
  | { kind: 'text'; raw: string } // comment or blank
  | { kind: 'entry'; raw: string; entry: TableEntry }
  | { kind: 'error'; raw: string; error: TableError };

export interface TableError {
  /** 1-based line number in the file. */
  line: number;
  /** The id the line seems to name, when one could be read. */
  id?: string;
  message: string;
}

export interface ParsedTable {
  entries: TableEntry[];
  errors: TableError[];
  lines: TableLine[];
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

function parseSize(value: string): number {
  const match = /^(\d+)([kKmMgG]?)$/.exec(value);
  if (!match) throw new Error(`"${value}" is not a size: use bytes or K, M, G (e.g. 1M)`);
  return Number(match[1]) * UNITS[match[2].toLowerCase()];
}

function renderSize(bytes: number): string {
  for (const unit of ['G', 'M', 'K']) {
    const factor = UNITS[unit.toLowerCase()];
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}

function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
  if (!match) throw new Error(`"${value}" is not a duration: use e.g. 10s, 500ms, 2m`);
  const factor = match[2] === 'ms' ? 1 : match[2] === 'm' ? 60_000 : 1000;
  return Math.round(Number(match[1]) * factor);
}

function renderDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function parseSignalName(value: string): string {
  const upper = value.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (/^\d+$/.test(upper)) {
    const found = Object.entries(constants.signals).find(([, n]) => n === Number(upper));
    if (found) return found[0];
  }
  return name;
}

/** Option keys and how each one reads into the entry. */
const OPTIONS: Record<string, (value: string, into: Record<string, unknown>) => void> = {
  restart(value, into) {
    const { policy, max } = parseRestartPolicy(value);
    into.restart = policy;
    if (max !== undefined) into.restartMax = max;
  },
  'stop-signal'(value, into) {
    into.stopSignal = parseSignalName(value);
  },
  'stop-timeout'(value, into) {
    into.stopTimeoutMs = parseDuration(value);
  },
  'log-size'(value, into) {
    into.logSize = parseSize(value);
  },
  'log-keep'(value, into) {
    if (!/^\d+$/.test(value)) throw new Error(`log-keep "${value}": give a whole number of rotated files`);
    into.logKeep = Number(value);
  },
};

/** One entry line: `id:action:bundle[:options]`, options `key=value` separated by commas. */
export function parseLine(raw: string): TableEntry {
  const text = raw.trim();
  const first = text.indexOf(':');
  const second = first < 0 ? -1 : text.indexOf(':', first + 1);
  if (first < 0 || second < 0) throw new Error('expected id:action:bundle[:options]');
  const third = text.indexOf(':', second + 1);
  const id = text.slice(0, first).trim();
  const actionText = text.slice(first + 1, second).trim();
  const bundle = (third < 0 ? text.slice(second + 1) : text.slice(second + 1, third)).trim();
  const optionText = third < 0 ? '' : text.slice(third + 1).trim();
  const [action, ...scheduleParts] = actionText.split(/\s+/);
  if (!(ACTIONS as readonly string[]).includes(action)) throw new Error(`action "${action}" is unknown: use respawn, once, off or cron <schedule>`);
  if (id === '') throw new Error('the id (first field) is empty');
  const into: Record<string, unknown> = { id, action, bundle };
  if (scheduleParts.length > 0) into.schedule = scheduleParts.join(' ');
  into.restart = defaultRestart(action as TableEntry['action']);
  into.stopSignal = DEFAULTS.stopSignal;
  into.stopTimeoutMs = DEFAULTS.stopTimeoutMs;
  into.logSize = DEFAULTS.logSize;
  into.logKeep = DEFAULTS.logKeep;
  if (optionText !== '') {
    for (const option of optionText.split(',')) {
      const at = option.indexOf('=');
      const key = (at < 0 ? option : option.slice(0, at)).trim();
      const read = OPTIONS[key];
      if (!read) throw new Error(`unknown option "${key}": use ${Object.keys(OPTIONS).join(', ')}`);
      if (at < 0) throw new Error(`option "${key}" needs a value (${key}=...)`);
      read(option.slice(at + 1).trim(), into);
    }
  }
  const result = tableEntrySchema.safeParse(into);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue.path.join('.');
    const where = field && !issue.message.startsWith(field.split(/(?=[A-Z])/)[0].toLowerCase()) ? `${field}: ` : '';
    throw new Error(`${where}${issue.message}`);
  }
  return result.data;
}

/** The canonical text of one entry: options only where they differ from the defaults. */
export function renderEntry(entry: TableEntry): string {
  const options: string[] = [];
  if (entry.restart !== defaultRestart(entry.action) || entry.restartMax !== undefined)
    options.push(`restart=${entry.restart}${entry.restartMax !== undefined ? `:${entry.restartMax}` : ''}`);
  if (entry.stopSignal !== DEFAULTS.stopSignal) options.push(`stop-signal=${entry.stopSignal.replace(/^SIG/, '')}`);
  if (entry.stopTimeoutMs !== DEFAULTS.stopTimeoutMs) options.push(`stop-timeout=${renderDuration(entry.stopTimeoutMs)}`);
  if (entry.logSize !== DEFAULTS.logSize) options.push(`log-size=${renderSize(entry.logSize)}`);
  if (entry.logKeep !== DEFAULTS.logKeep) options.push(`log-keep=${entry.logKeep}`);
  const action = entry.action === 'cron' ? `cron ${entry.schedule}` : entry.action;
  return `${entry.id}:${action}:${entry.bundle}${options.length > 0 ? `:${options.join(',')}` : ''}`;
}

/** Parse a whole table. Bad lines become errors naming their line; every other entry still loads. */
export function parseTable(text: string): ParsedTable {
  const lines: TableLine[] = [];
  const entries: TableEntry[] = [];
  const errors: TableError[] = [];
  const seen = new Map<string, number>();
  const rawLines = text.split('\n');
  if (rawLines.length > 0 && rawLines[rawLines.length - 1] === '') rawLines.pop();
  rawLines.forEach((raw, index) => {
    const number = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      lines.push({ kind: 'text', raw });
      return;
    }
    const head = trimmed.includes(':') ? trimmed.split(':')[0].trim() : '';
    const guessedId = ID_PATTERN.test(head) ? head : undefined;
    let entry: TableEntry;
    try {
      entry = parseLine(raw);
    } catch (error) {
      const failure: TableError = { line: number, id: guessedId, message: `table line ${number}: ${(error as Error).message}` };
      errors.push(failure);
      lines.push({ kind: 'error', raw, error: failure });
      return;
    }
    const earlier = seen.get(entry.id);
    if (earlier !== undefined) {
      const failure: TableError = { line: number, id: entry.id, message: `table line ${number}: duplicate id "${entry.id}" (first on line ${earlier}): remove one` };
      errors.push(failure);
      lines.push({ kind: 'error', raw, error: failure });
      return;
    }
    seen.set(entry.id, number);
    entries.push(entry);
    lines.push({ kind: 'entry', raw, entry });
  });
  return { entries, errors, lines };
}

export const TABLE_HEADER = `# vz supervisor table: one container per line, read by "runch supervise".
#   id:action:bundle[:options]
# action:  respawn | once | off | cron <5 or 6 cron fields>
# options: restart=no|on-failure[:max]|always|unless-stopped, stop-signal=TERM, stop-timeout=10s,
#          log-size=1M, log-keep=5   (comma-separated; defaults omitted)
`;

/**
 * Render a table: from parsed lines (comments, blank and untouched lines kept byte for byte) or from entries
 * alone (a fresh table with a header comment).
 */
export function renderTable(input: TableEntry[] | TableLine[]): string {
  if (input.length > 0 && 'kind' in input[0]) {
    return (input as TableLine[]).map((line) => `${line.raw}\n`).join('');
  }
  return TABLE_HEADER + (input as TableEntry[]).map((entry) => `${renderEntry(entry)}\n`).join('');
}

/**
 * Replace, add or remove the entry `id` in parsed lines; other lines are untouched.
 * `next` undefined removes it. A line in error that names `id` is replaced too (fixing it).
 */
export function withEntry(lines: TableLine[], id: string, next: TableEntry | undefined): TableLine[] {
  const out: TableLine[] = [];
  let placed = false;
  for (const line of lines) {
    const names = line.kind === 'entry' ? line.entry.id === id : line.kind === 'error' ? line.error.id === id : false;
    if (!names) {
      out.push(line);
      continue;
    }
    if (line.kind === 'error' && line.error.message.includes('duplicate id')) continue; // a duplicate goes away with the rewrite
    if (next && !placed) out.push({ kind: 'entry', raw: renderEntry(next), entry: next });
    placed = true;
  }
  if (next && !placed) out.push({ kind: 'entry', raw: renderEntry(next), entry: next });
  return out;
}
