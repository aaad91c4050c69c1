import { VzError } from '../base/errors.ts';

/** How init reaches runch on this host: absolute paths (init's PATH has no /usr/local/bin), non-default flags only. */
export interface Launcher {
  node: string;
  runch: string;
  /** runch --root, when not the default /run/runch. */
  root?: string;
  /** The table file, when not the default. */
  table?: string;
  /** The log directory, when not the default. */
  logDir?: string;
  /** supervisor: the one entry runs `runch supervise` (see mode.ts). */
  mode?: 'init' | 'supervisor';
  /**
   * The host config names root, table and log dir: `runch init exec` reads them there, so its line carries only the
   * id (`runch supervise` still gets its flags: its line names no entry, so length is no concern).
   */
  hostConfig?: boolean;
  /** Init mode: the directory of the compiled launchers (launcher.ts); each entry's line is then its launcher. */
  launchers?: string;
}

/**
 * Measured on sysvinit 3.06: "process field too long (max 127 characters)". busybox init 1.35 reads longer lines;
 * 253 keeps room for sysvinit's own "exec " prefix in builds with a 256-byte field.
 */
export const PROCESS_LIMIT = { sysvinit: 127, busybox: 253 } as const;

/**
 * Both inits hand a process field holding any of these to /bin/sh; without them they split it on blanks and exec
 * it directly, one process fewer and no quoting to get wrong. So vz's fields never hold one.
 */
const SAFE_WORD = /^[A-Za-z0-9_./,+@%-]+$/;

/** The words init runs for an entry: runch in init mode, which execs the container in its place. */
export function processWords(id: string, launcher: Launcher): string[] {
  const supervise = launcher.mode === 'supervisor';
  const flags = !supervise && launcher.hostConfig;
  const words = !supervise && launcher.launchers ? [`${launcher.launchers}/${id}`] : [launcher.node, launcher.runch];
  if (words.length === 1) return checkWords(words);
  if (launcher.root && !flags) words.push('--root', launcher.root);
  words.push(...(supervise ? ['supervise'] : ['init', 'exec']));
  if (launcher.table && !flags) words.push('--table', launcher.table);
  if (launcher.logDir && !flags) words.push('--log-dir', launcher.logDir);
  if (!supervise) words.push(id);
  return checkWords(words);
}

function checkWords(words: string[]): string[] {
  for (const word of words)
    if (!SAFE_WORD.test(word))
      throw new VzError(
        'invalid-config',
        `"${word}" cannot go into an inittab process field as is (blanks or shell characters would make init run it through /bin/sh): use paths of letters, digits and ._,+@%- only`,
      );
  return words;
}

/**
 * The entry's field for this dialect. On a host with a host config the field is node, runch, "init exec" and the
 * id: vzmaster's paths leave 81 characters for the id in sysvinit's 127, more than the table's 64.
 */
export function processField(id: string, launcher: Launcher, dialect: keyof typeof PROCESS_LIMIT): string {
  const limit = PROCESS_LIMIT[dialect];
  const field = processWords(id, launcher).join(' ');
  if (field.length <= limit) return field;
  const fix = launcher.hostConfig ? 'install node and runch on shorter paths' : 'write a host config ("runch host config") so the line needs no --table or --log-dir, or use shorter paths';
  throw new VzError('invalid-config', `entry "${id}": the ${dialect} process field would be ${field.length} characters, over init's ${limit}: ${fix}`);
}
