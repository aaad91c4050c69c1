/**
 * Files a trace sees that belong to the build machine rather than to the app. Why: a traced rootfs runs on other
 * hosts, so the build machine's name, address book, DNS, machine id, secrets and locally installed Python paths must
 * not travel with it (runch binds each host's own resolv.conf; the skeleton writes neutral hosts and passwd files).
 */
const LEFT_OUT: Record<string, string> = {
  '/etc/hosts': "the build machine's host names (the skeleton writes a localhost-only one)",
  '/etc/hostname': "the build machine's name",
  '/etc/resolv.conf': "the build machine's DNS (runch binds each host's own)",
  '/etc/machine-id': "the build machine's id",
  '/var/lib/dbus/machine-id': "the build machine's id",
  '/etc/mtab': "the build machine's mounts",
  '/etc/shadow': "the build machine's password hashes",
  '/etc/gshadow': "the build machine's group passwords",
};

/** Kept, but worth a look: they list the build machine's own users and groups. */
const WARNED = new Set(['/etc/passwd', '/etc/group']);

export interface MachineFiles {
  kept: string[];
  leftOut: { path: string; why: string }[];
  warnings: string[];
}

/** A .pth file of a local (pip, editable) install: it points Python at paths of this machine only. */
function localPth(path: string): boolean {
  return path.endsWith('.pth') && (/^\/usr\/local\/lib\/python[^/]*\//.test(path) || /^\/(root|home\/[^/]+)\//.test(path));
}

/** Pure: split a traced spec into what goes in the rootfs, what is left out (and why), and warnings. */
export function sortMachineFiles(paths: string[]): MachineFiles {
  const out: MachineFiles = { kept: [], leftOut: [], warnings: [] };
  for (const path of paths) {
    const why = LEFT_OUT[path] ?? (localPth(path) ? 'a Python path file of a local install on the build machine' : undefined);
    if (why) {
      out.leftOut.push({ path, why });
      continue;
    }
    if (WARNED.has(path)) out.warnings.push(`${path} is the build machine's: it lists its users and groups; check it, or give the rootfs its own`);
    else if (path.endsWith('.pth')) out.warnings.push(`${path} is a Python path file: check that what it adds exists in the rootfs`);
    out.kept.push(path);
  }
  return out;
}
