import type { ContainerSpec } from '../oci/load.ts';
import { hostBinary } from './hostbin.ts';

/**
 * The container's first process: a constant script, its data only in positional parameters.
 * $1 mount(8), $2 fstab ("" = no mounts here), $3 exec fifo ("" = exec at once; else made here with $6 mkfifo,
 * saving runch a process), $4 umask, $5 "=PWD" or "-";
 * then the chain. (The container's env is already in place, so no PATH lookup is trusted for host tools.)
 * It mounts (inside its own mount namespace when it has one), reports "mounted" on fd 3, blocks on the fifo
 * until `runch start` opens it, then replaces itself with the chain, so the pid never changes.
 */
export const INIT_SCRIPT = `mountbin=$1 fstab=$2 fifo=$3 mask=$4 pwd=$5 mkfifobin=$6; shift 6
if [ -n "$fifo" ]; then
  "$mkfifobin" -m 0600 "$fifo" 2>&3 || exit 125
  if [ -n "$fstab" ]; then "$mountbin" -a -T "$fstab" 2>&3 || exit 125; fi
  echo mounted >&3; exec 3>&-
  echo 0 > "$fifo" || exit 125
elif [ -n "$fstab" ]; then
  "$mountbin" -a -T "$fstab" || exit 125
fi
umask "$mask"
case $pwd in =*) export PWD="\${pwd#=}";; *) unset PWD;; esac
exec "$@"`;

function rlimitValue(value: number): string {
  return value >= 2 ** 63 ? 'unlimited' : String(value);
}

/**
 * choom (oomScoreAdj) -> prlimit (rlimits) -> setpriv (gid, groups, no_new_privs) -> unshare --root/--wd (chroot,
 * cwd, uid) -> program: each step execs the next, so the program keeps the first pid and nothing of runch stays
 * behind. choom goes first, while the chain still runs as root: lowering the score below 0 needs CAP_SYS_RESOURCE.
 */
export function execChain(spec: ContainerSpec): string[] {
  const chain: string[] = [];
  if (spec.oomScoreAdj !== undefined) chain.push(hostBinary('choom'), '-n', String(spec.oomScoreAdj), '--');
  if (spec.rlimits.length > 0) {
    chain.push(hostBinary('prlimit'));
    for (const limit of spec.rlimits)
      chain.push(`--${limit.type.slice('RLIMIT_'.length).toLowerCase()}=${rlimitValue(limit.soft)}:${rlimitValue(limit.hard)}`);
    chain.push('--');
  }
  const needsSetpriv = spec.additionalGids.length > 0 || spec.noNewPrivileges;
  if (needsSetpriv) {
    chain.push(hostBinary('setpriv'), `--regid=${spec.gid}`);
    chain.push(spec.additionalGids.length > 0 ? `--groups=${spec.additionalGids.join(',')}` : '--clear-groups');
    if (spec.noNewPrivileges) chain.push('--no-new-privs');
    chain.push('--');
  }
  chain.push(hostBinary('unshare'), `--root=${spec.rootfs}`, `--wd=${spec.cwd}`, `--setuid=${spec.uid}`);
  if (!needsSetpriv) chain.push(`--setgid=${spec.gid}`);
  chain.push('--', ...spec.args);
  return chain;
}

export interface InitCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/** The whole command line of the container's first process, ready for spawn or execve. */
export function initCommand(spec: ContainerSpec, opts: { fstab: string; fifo: string; mountNamespace: boolean }): InitCommand {
  const pwd = [...spec.env].reverse().find((e) => e.startsWith('PWD='));
  const script = [hostBinary('sh', 'a POSIX shell'), '-c', INIT_SCRIPT, 'runch-init', hostBinary('mount'), opts.fstab, opts.fifo];
  const mask = spec.umask.toString(8).padStart(4, '0');
  const args = [...script, mask, pwd ? `=${pwd.slice(4)}` : '-', hostBinary('mkfifo', 'coreutils'), ...execChain(spec)];
  const argv = opts.mountNamespace ? [hostBinary('unshare'), '--mount', '--propagation', 'private', '--', ...args] : args;
  const env: Record<string, string> = {};
  for (const entry of spec.env) {
    const at = entry.indexOf('=');
    env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return { file: argv[0], args: argv.slice(1), env };
}
