import { fchownSync, fstatSync } from 'node:fs';

/**
 * A program that is not root reopens its own output (nginx's "error_log /dev/stdout", a shell's `exec 1>/dev/stdout`):
 * /dev/stdout is /proc/self/fd/1, and opening that checks the file's own permissions, not the open fd's. runc's
 * fixStdioPermissions does the same: a regular file or a pipe given as the container's stdio goes to the process's
 * uid and gid (a terminal or /dev/null is never chowned). Its own log, so nothing else is handed over.
 */
export function giveStdioTo(fds: number[], uid: number, gid: number): void {
  if (uid === 0) return;
  for (const fd of new Set(fds)) {
    let info;
    try {
      info = fstatSync(fd);
    } catch {
      continue; // closed: nothing to reopen
    }
    if (!(info.isFile() || info.isFIFO()) || (info.uid === uid && info.gid === gid)) continue;
    fchownSync(fd, uid, gid);
  }
}
