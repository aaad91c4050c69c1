import type { InitEntry } from './entry.ts';

/** sysvinit runlevels for vz's entries: every multi-user level. */
export const RUNLEVELS = '2345';

/** Init-mode actions: cron belongs to the supervisor (init has no schedule), so it renders as nothing. */
function inittabAction(action: InitEntry['action']): 'respawn' | 'once' | 'off' | undefined {
  return action === 'cron' ? undefined : action;
}

/** One sysvinit line: `id:2345:action:process`. `off` is kept (init then stops the process and keeps the id). */
export function sysvinitLine(entry: InitEntry, inittabId: string, process: string): string | undefined {
  const action = inittabAction(entry.action);
  return action && `${inittabId}:${RUNLEVELS}:${action}:${process}`;
}

/** The whole file /etc/inittab.d/vz-<id>.tab (sysvinit >= 2.97 reads every *.tab there). */
export function sysvinitTabFile(entry: InitEntry, inittabId: string, process: string): string | undefined {
  const line = sysvinitLine(entry, inittabId, process);
  return line && `# vz container "${entry.id}": written by "runch init apply"; edit the table, not this file\n${line}\n`;
}

/** A comment naming the entry, then its line: the block is read back by these comments. */
export function sysvinitBlockLines(entry: InitEntry, inittabId: string, process: string): string[] {
  const line = sysvinitLine(entry, inittabId, process);
  return line ? [`# vz: ${entry.id}`, line] : [];
}

/**
 * busybox init keys entries by command, has no id field for us (it names a tty) and no `off`: an entry that is
 * off is simply absent. `::respawn:` runs on busybox's console with no tty of its own.
 */
export function busyboxBlockLines(entry: InitEntry, process: string): string[] {
  if (entry.action !== 'respawn' && entry.action !== 'once') return [];
  return [`# vz: ${entry.id}`, `::${entry.action}:${process}`];
}

/** Which vz ids a block holds, from its `# vz: <id>` comments. */
export function idsInBlock(block: string[]): string[] {
  return block.filter((line) => line.startsWith('# vz: ')).map((line) => line.slice('# vz: '.length));
}
