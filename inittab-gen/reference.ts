import { VzError } from '../base/errors.ts';
import { derivedInittabId } from './ids.ts';

/**
 * sysvinit refuses a process field over 127 characters, and the paths vzmaster installs leave room for ~16 of an id's
 * 64. An entry whose full id does not fit is named `@<inittab id>` in the field instead: 4 characters, stable (a hash
 * of the id, ids.ts) and unique within a table. Container ids start with a letter or digit, so "@" never begins one.
 */
export const REF_MARK = '@';

type Named = { id: string; inittabId?: string };

/** The short name of an entry: `@` and the inittab id its sysvinit line carries. */
export function entryRef(entry: Named): string {
  return `${REF_MARK}${entry.inittabId ?? derivedInittabId(entry.id)}`;
}

export function isRef(word: string): boolean {
  return word.startsWith(REF_MARK);
}

/**
 * Every last word a `runch init exec` for container `id` may have: its id or its reference (the derived one, and an
 * explicit inittab id's when known: an entry already gone from the table is known by its id alone).
 */
export function execNames(id: string, inittabId?: string): Set<string> {
  const names = new Set([id, entryRef({ id })]);
  if (inittabId) names.add(entryRef({ id, inittabId }));
  return names;
}

/**
 * The entry a process field's last word names: the one with that id, or for a reference the one whose inittab id it
 * is. undefined when none; several (the table edited by hand since the last apply) is one error naming them.
 */
export function resolveName<T extends Named>(entries: T[], word: string, table: string): T | undefined {
  if (!isRef(word)) return entries.find((e) => e.id === word);
  const matches = entries.filter((e) => entryRef(e) === word);
  if (matches.length > 1)
    throw new VzError(
      'invalid-config',
      `${word} names ${matches.length} entries of the table ${table} (${matches.map((m) => `"${m.id}"`).join(', ')} share inittab id "${word.slice(1)}"): rename all but one of them, then run "runch init apply"`,
    );
  return matches[0];
}

/** An entry named by its reference must be the only one with it (busybox lines carry no inittab id to check). */
export function checkRefUnique(entries: Named[], entry: Named): void {
  const ref = entryRef(entry);
  const other = entries.find((e) => e !== entry && entryRef(e) === ref);
  if (other)
    throw new VzError(
      'invalid-config',
      `entries "${other.id}" and "${entry.id}" both map to inittab id "${ref.slice(1)}", and "${entry.id}" is too long for init's process field, so init would name it by that id: rename one of the two containers`,
    );
}
