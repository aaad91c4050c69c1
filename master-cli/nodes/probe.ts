import { z } from 'zod';
import { tabFields } from '../../base/key-value.ts';

/**
 * What `nodes` runs on each host, as argv of the command module (constant text: no user value is ever pasted in).
 * It prints one "key<TAB>value" line per fact. Init flavour: /proc/1/exe (readable as root) else /proc/1/comm,
 * plus the files each init leaves (/run/initctl for sysvinit, /run/openrc for OpenRC). runch: on PATH, else the
 * bundle vzmaster installs (/var/lib/vz/bin/runch.cjs, run by the host's node).
 */
export const PROBE_SCRIPT = `
exe=$(readlink /proc/1/exe 2>/dev/null || true)
comm=$(cat /proc/1/comm 2>/dev/null || true)
case "$exe" in
  *systemd*) init=systemd ;;
  *busybox*) if [ -d /run/openrc ]; then init=openrc; else init=busybox; fi ;;
  *openrc-init*) init=openrc ;;
  *)
    if [ -d /run/openrc ]; then init=openrc
    elif [ "$comm" = systemd ]; then init=systemd
    elif [ -p /run/initctl ] || [ -p /dev/initctl ]; then init=sysvinit
    elif [ "$comm" = busybox ]; then init=busybox
    elif [ "$comm" = init ] && [ -n "$exe" ]; then init=sysvinit
    else init="unknown:$comm"; fi ;;
esac
os=unknown
if [ -r /etc/os-release ]; then os=$(. /etc/os-release && printf '%s' "\${PRETTY_NAME:-$NAME}"); fi
mem=$(awk '/^MemTotal:/ {print $2; exit}' /proc/meminfo 2>/dev/null)
disk_path=/var/lib/vz; [ -d "$disk_path" ] || disk_path=/
disk=$(df -Pk "$disk_path" 2>/dev/null | awk 'NR==2 {print $4}')
node=none
if command -v node >/dev/null 2>&1; then node=$(node --version 2>/dev/null | head -n 1); fi
runch=none
if command -v runch >/dev/null 2>&1; then runch=$(runch --version 2>/dev/null | head -n 1)
elif [ -f /var/lib/vz/bin/runch.cjs ] && [ "$node" != none ]; then runch=$(node /var/lib/vz/bin/runch.cjs --version 2>/dev/null | head -n 1); fi
runch=\${runch#runch version }
printf 'init\\t%s\\nos\\t%s\\nmem_kb\\t%s\\ndisk_free_kb\\t%s\\ndisk_path\\t%s\\nrunch\\t%s\\nnode\\t%s\\nhostname\\t%s\\n' "$init" "$os" "$mem" "$disk" "$disk_path" "\${runch:-unknown}" "\${node:-unknown}" "$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"
`;

export const PROBE_ARGV = ['sh', '-c', PROBE_SCRIPT, 'vz-probe'];

export const factsSchema = z.object({
  init: z.string().min(1),
  os: z.string(),
  mem_kb: z.coerce.number().int().nonnegative(),
  disk_free_kb: z.coerce.number().int().nonnegative(),
  disk_path: z.string(),
  runch: z.string(),
  node: z.string(),
  hostname: z.string(),
});
export type NodeFacts = z.infer<typeof factsSchema>;

/** Parse the probe's stdout; undefined when it is not what the probe prints. */
export function parseFacts(stdout: string): NodeFacts | undefined {
  const checked = factsSchema.safeParse(tabFields(stdout));
  return checked.success ? checked.data : undefined;
}
