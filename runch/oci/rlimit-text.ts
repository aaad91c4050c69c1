import { VzError } from '../../base/errors.ts';
import { RLIMIT_TYPES, type Rlimit } from './schema.ts';

/** OCI's largest value, which runch (prlimit) reads as "unlimited". */
const UNLIMITED = 2 ** 64 - 1;

/**
 * One rlimit as a person writes it, `nofile=65536` (soft = hard) or `NOFILE=1024:65536` (soft:hard), names with or
 * without RLIMIT_, values whole numbers or "unlimited"; the shape of `vzimage bundle --rlimit`, the deploy manifest's
 * `rlimits` and a build recipe's. Why one grammar: the three must mean the same thing. `field` names the input in
 * errors.
 */
export function parseRlimit(text: string, field = '--rlimit'): Rlimit {
  const match = /^([A-Za-z_]+)=([0-9]+|unlimited)(?::([0-9]+|unlimited))?$/.exec(text.trim());
  const names = RLIMIT_TYPES.map((t) => t.slice('RLIMIT_'.length).toLowerCase()).join(', ');
  if (!match) throw new VzError('usage', `${field} "${text}" must be NAME=LIMIT or NAME=SOFT:HARD, e.g. nofile=65536 (names: ${names})`);
  const type = `RLIMIT_${match[1].toUpperCase().replace(/^RLIMIT_/, '')}` as Rlimit['type'];
  if (!RLIMIT_TYPES.includes(type)) throw new VzError('usage', `${field} "${text}": "${match[1]}" is no rlimit: use one of ${names}`);
  const value = (word: string) => (word === 'unlimited' ? UNLIMITED : Number(word));
  const soft = value(match[2]);
  const hard = match[3] === undefined ? soft : value(match[3]);
  if (!Number.isSafeInteger(soft) && soft !== UNLIMITED) throw new VzError('usage', `${field} "${text}": ${match[2]} is too large: use "unlimited"`);
  if (!Number.isSafeInteger(hard) && hard !== UNLIMITED) throw new VzError('usage', `${field} "${text}": ${match[3]} is too large: use "unlimited"`);
  if (soft > hard) throw new VzError('usage', `${field} "${text}": the soft limit ${match[2]} is above the hard limit ${match[3]}: give SOFT:HARD with SOFT <= HARD`);
  return { type, soft, hard };
}

/** Rlimits over a config's: a type given again replaces the old one, others are kept in order. */
export function withRlimits(current: Rlimit[] | undefined, added: Rlimit[]): Rlimit[] {
  const types = new Set(added.map((r) => r.type));
  return [...(current ?? []).filter((r) => !types.has(r.type)), ...added];
}
