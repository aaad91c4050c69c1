/**
 * Fields of real configs (`runc spec`, `crun spec`) that a chroot without namespaces or cgroups cannot honour.
 * They are accepted and named once, so a user knows what is not enforced.
 */
const IGNORED_PROCESS_FIELDS = ['capabilities', 'apparmorProfile', 'selinuxLabel', 'consoleSize', 'ioPriority', 'scheduler', 'execCPUAffinity'];
const IGNORED_TOP_FIELDS = ['hostname', 'domainname', 'solaris', 'windows', 'vm', 'zos'];

export function ignoredFields(raw: Record<string, unknown>): string[] {
  const ignored: string[] = [];
  for (const field of IGNORED_TOP_FIELDS) if (raw[field] !== undefined && raw[field] !== '') ignored.push(field);
  const linux = raw.linux;
  if (linux && typeof linux === 'object') for (const key of Object.keys(linux)) ignored.push(`linux.${key}`);
  const proc = raw.process as Record<string, unknown> | undefined;
  if (proc) {
    for (const field of IGNORED_PROCESS_FIELDS) if (proc[field] !== undefined) ignored.push(`process.${field}`);
    if (proc.terminal === true) ignored.push('process.terminal (the process uses runch\'s own stdio)');
  }
  return ignored;
}
