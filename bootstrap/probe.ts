import { z } from 'zod';
import { tabFields } from '../base/key-value.ts';

/**
 * The first look at a fresh host, through ansible's raw module (plain ssh, no python needed: a fresh VPS may not
 * have it yet). Constant text, never a user value. One "key<TAB>value" line per fact.
 */
export const FIRST_LOOK = `arch=$(uname -m 2>/dev/null || echo unknown)
python=$(command -v python3 2>/dev/null || true)
sudo=$(command -v sudo 2>/dev/null || true)
node=$(command -v node >/dev/null 2>&1 && node --version 2>/dev/null | head -n 1 || true)
pkg=none
for p in apt-get dnf yum apk zypper; do if command -v "$p" >/dev/null 2>&1; then pkg=$p; break; fi; done
printf 'arch\\t%s\\npython\\t%s\\nsudo\\t%s\\nnode\\t%s\\npkg\\t%s\\nuid\\t%s\\n' "$arch" "\${python:-none}" "\${sudo:-none}" "\${node:-none}" "$pkg" "$(id -u)"
`;

/**
 * Installs python3 where it is missing, with the host's own package manager (constant text). Why raw: ansible's
 * modules are python; this is the one step that must run before python exists.
 */
export const INSTALL_PYTHON = `set -e
if command -v python3 >/dev/null 2>&1; then exit 0; fi
if command -v apt-get >/dev/null 2>&1; then DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3
elif command -v dnf >/dev/null 2>&1; then dnf install -y python3
elif command -v yum >/dev/null 2>&1; then yum install -y python3
elif command -v apk >/dev/null 2>&1; then apk add --no-cache python3
elif command -v zypper >/dev/null 2>&1; then zypper --non-interactive install python3
else echo "no package manager found to install python3" >&2; exit 1; fi
`;

/**
 * root's ansible temp directory, made before the first python module runs as root. Why: a module that finds no
 * remote_tmp makes it itself and warns about its mode on the master's stderr ("did not exist and was created with a
 * mode of 0700"); ansible's own advice is to create it beforehand. Constant text; changes nothing on a rerun.
 */
export const ROOT_REMOTE_TMP = 'umask 077 && mkdir -p "$HOME/.ansible/tmp"';

export const firstLookSchema = z.object({
  arch: z.string().min(1),
  python: z.string(),
  sudo: z.string(),
  node: z.string(),
  pkg: z.string(),
  uid: z.coerce.number().int(),
});
export type FirstLook = z.infer<typeof firstLookSchema>;

/** Parse the first look's output (raw runs in a pty: lines end in \r\n). Undefined when it is not the probe's. */
export function parseFirstLook(stdout: string): FirstLook | undefined {
  const checked = firstLookSchema.safeParse(tabFields(stdout));
  return checked.success ? checked.data : undefined;
}

/** Node's version string ("v24.1.0", "none") meets vz's floor, 18.19 (Debian 12's nodejs; docs/inittab-gen.md)? */
export function nodeIsRecentEnough(version: string): boolean {
  const match = /^v?(\d+)\.(\d+)\./.exec(version.trim());
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 18 || (major === 18 && minor >= 19);
}
