import { VzError } from '../base/errors.ts';
import { entryRef } from './reference.ts';

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
  const words = [launcher.node, launcher.runch];
  if (launcher.root) words.push('--root', launcher.root);
  words.push(...(launcher.mode === 'supervisor' ? ['supervise'] : ['init', 'exec']));
  if (launcher.table) words.push('--table', launcher.table);
  if (launcher.logDir) words.push('--log-dir', launcher.logDir);
  if (launcher.mode !== 'supervisor') words.push(id);
  for (const word of words)
    if (!SAFE_WORD.test(word))
      throw new VzError(
        'invalid-config',
        `"${word}" cannot go into an inittab process field as is (blanks or shell characters would make init run it through /bin/sh): use paths of letters, digits and ._,+@%- only`,
      );
  return words;
}

/**
 * The entry's field for this dialect: with its full id when that fits (a readable line), else naming the entry by its
 * reference (`@<inittab id>`, reference.ts), which `runch init exec` resolves through the table. Only when even that
 * is too long (the paths themselves) is the entry refused.
 */
export function processField(id: string, launcher: Launcher, dialect: keyof typeof PROCESS_LIMIT, inittabId?: string): string {
  const limit = PROCESS_LIMIT[dialect];
  const field = processWords(id, launcher).join(' ');
  if (field.length <= limit) return field;
  const ref = entryRef({ id, inittabId });
  const short = processWords(ref, launcher).join(' ');
  if (short.length <= limit) return short; // (supervisor mode's field names no entry: never shorter)
  const via = short.length < field.length ? `, even naming the entry by its inittab id (${ref})` : '';
  throw new VzError(
    'invalid-config',
    `entry "${id}": the ${dialect} process field would be ${Math.min(field.length, short.length)} characters${via}, over init's ${limit}: use shorter paths for node, runch, --root, --table or --log-dir`,
  );
}

