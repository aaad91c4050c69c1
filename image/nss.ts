import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Functions that go through NSS for host names (files + dns) and for users and groups (files). */
const HOST_FUNCTIONS = ['getaddrinfo', 'getnameinfo', 'gethostbyname', 'gethostbyname2', 'gethostbyname_r', 'gethostbyname2_r', 'gethostbyaddr', 'gethostbyaddr_r', 'gethostent'];
const USER_FUNCTIONS = ['getpwnam', 'getpwuid', 'getpwnam_r', 'getpwuid_r', 'getgrnam', 'getgrgid', 'getgrnam_r', 'getgrgid_r', 'getpwent', 'getgrent', 'initgroups', 'getgrouplist'];

export type NssNeed = 'none' | 'users' | 'hosts';

/** Pure: what a program's imports ask of NSS. */
export function nssNeed(imports: Set<string>): NssNeed {
  if (HOST_FUNCTIONS.some((f) => imports.has(f))) return 'hosts';
  if (USER_FUNCTIONS.some((f) => imports.has(f))) return 'users';
  return 'none';
}

/**
 * The NSS modules glibc dlopens at run time (no loader lists them), from the directory of the program's own libc,
 * so the architecture is right; libnss_dns needs libresolv. musl has no NSS: nothing to add.
 */
export function nssModules(libraries: string[], need: NssNeed): string[] {
  if (need === 'none') return [];
  const libc = libraries.find((p) => /^libc\.so\.\d+$/.test(basename(p)));
  if (!libc) return [];
  const names = need === 'hosts' ? ['libnss_files.so.2', 'libnss_dns.so.2', 'libresolv.so.2'] : ['libnss_files.so.2'];
  return names.map((n) => join(dirname(libc), n)).filter((p) => existsSync(p));
}
