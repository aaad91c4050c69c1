import { derivedInittabId } from './ids.ts';

/**
 * Lines written before the host config existed named an entry whose id did not fit init's process field
 * `@<inittab id>`. Nothing writes that form any more (init's lines carry the id itself: process-field.ts); what is
 * kept is reading it, so a host upgraded from such a line stops and resolves it until its next apply rewrites it.
 * Container ids start with a letter or digit, so "@" never begins one.
 */
const REF_MARK = '@';

type Named = { id: string; inittabId?: string };

function entryRef(entry: Named): string {
  return `${REF_MARK}${entry.inittabId ?? derivedInittabId(entry.id)}`;
}

/** Every last word an old or new `runch init exec` line for container `id` may have. */
export function execNames(id: string, inittabId?: string): Set<string> {
  const names = new Set([id, entryRef({ id })]);
  if (inittabId) names.add(entryRef({ id, inittabId }));
  return names;
}

/** The entry an exec line's last word names: by id, or (an old line) by its inittab id; undefined when none. */
export function resolveName<T extends Named>(entries: T[], word: string): T | undefined {
  if (!word.startsWith(REF_MARK)) return entries.find((e) => e.id === word);
  return entries.find((e) => entryRef(e) === word);
}
