import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface SkeletonOptions {
  /** The user the app runs as, added to etc/passwd and etc/group beside root. */
  user?: { name: string; uid: number; gid: number };
  /** Write etc/nsswitch.conf and etc/hosts (the program resolves names). */
  nss?: boolean;
}

/**
 * The usual empty directories and small files a program expects, only where the rootfs has none: runch mounts
 * proc, sys, dev, run, tmp and binds the host's etc/resolv.conf over the empty one.
 */
export function writeSkeleton(root: string, options: SkeletonOptions = {}): string[] {
  const written: string[] = [];
  for (const [dir, mode] of [['dev', 0o755], ['proc', 0o555], ['sys', 0o555], ['run', 0o755], ['tmp', 0o1777], ['root', 0o700], ['etc', 0o755]] as const) {
    const path = join(root, dir);
    if (existsSync(path)) continue;
    mkdirSync(path);
    chmodSync(path, mode); // mkdir's mode is filtered by the umask; 1777 must be exact
    written.push(`/${dir}`);
  }
  const user = options.user;
  const users = ['root:x:0:0:root:/root:/bin/sh', 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin'];
  const groups = ['root:x:0:', 'nogroup:x:65534:'];
  if (user && user.uid !== 0 && user.uid !== 65534) users.splice(1, 0, `${user.name}:x:${user.uid}:${user.gid}:${user.name}:/:/usr/sbin/nologin`);
  if (user && user.gid !== 0 && user.gid !== 65534) groups.splice(1, 0, `${user.name}:x:${user.gid}:`);
  const files: [string, string][] = [
    ['etc/passwd', users.join('\n') + '\n'],
    ['etc/group', groups.join('\n') + '\n'],
    ['etc/resolv.conf', ''],
  ];
  if (options.nss) {
    files.push(['etc/nsswitch.conf', 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nservices: files\nprotocols: files\n']);
    files.push(['etc/hosts', '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n']);
  }
  for (const [file, content] of files) {
    const path = join(root, file);
    if (existsSync(path)) continue;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content, { mode: 0o644 });
    written.push(`/${file}`);
  }
  return written;
}
