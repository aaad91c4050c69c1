import { dirname, join } from 'node:path';
import type { ContainerSpec, ProcessSpec } from '../oci/load.ts';
import { hostBinary } from './hostbin.ts';
import { mountPlan, type MountStep } from './mounts.ts';

/**
 * The container's first process: a constant script, its data only in positional parameters.
 * $1 mount(8), $2 fstab, $3 exec fifo ("" = exec at once, errors to stderr; "-" = exec at once after reporting on
 * fd 3; else made here with $6 mkfifo, saving runch a process),
 * $4 umask, $5 "=PWD" or "-", $7 ln, $8 mkdir ("" when no step needs them), $9 the command file ("" = the chain is
 * given here; else `runch start` writes it: config.json had no process at create);
 * then the mount steps up to "--": "m:N" mount stage N of the fstab, "f:PATH" an empty file (a mount point inside an
 * earlier mount), "l:PATH" TARGET a symlink, "r:FLAG:SOFT:HARD" an rlimit set with the shell's own ulimit (one exec of
 * prlimit fewer: nofile alone, see SHELL_LIMITS); then the chain. (The container's env is already in place, so no PATH
 * lookup is trusted for host tools.)
 * It mounts (inside its own mount namespace when it has one), reports "mounted" on fd 3, blocks on the fifo
 * until `runch start` opens it, then replaces itself with the chain, so the pid never changes. Its errors go to
 * fd 3 (runch reports them), or to stderr in init mode (no fifo, no fd 3).
 */
export const INIT_SCRIPT = `mountbin=$1 fstab=$2 fifo=$3 mask=$4 pwd=$5 mkfifobin=$6 lnbin=$7 mkdirbin=$8 cmdfile=$9; shift 9
case $fifo in "") exec 3>&2;; -) ;; *) "$mkfifobin" -m 0600 "$fifo" 2>&3 || exit 125;; esac
while [ "$1" != -- ]; do
  case $1 in
  m:*) "$mountbin" -a -T "$fstab" -O "X-runch.s\${1#m:}" 2>&3 || exit 125;;
  f:*) p=\${1#f:}; { [ -d "\${p%/*}" ] || "$mkdirbin" -p -- "\${p%/*}"; } 2>&3 || exit 125; { true >> "$p"; } 2>&3 || exit 125;;
  l:*) "$lnbin" -s -- "$2" "\${1#l:}" 2>&3 || exit 125; shift;;
  r:*) x=\${1#r:}; f=\${x%%:*}; x=\${x#*:}; s=\${x%%:*}; h=\${x#*:}
    ulimit -S "-$f" "$s" 2>/dev/null; { ulimit -H "-$f" "$h" && ulimit -S "-$f" "$s"; } 2>&3 || exit 125;;
  esac
  shift
done
shift
if [ -n "$cmdfile" ]; then { true > "$cmdfile"; } 2>&3 || exit 125; fi
if [ -n "$fifo" ]; then
  echo mounted >&3; exec 3>&-
  [ "$fifo" = - ] || { echo 0 > "$fifo" || exit 125; }
else exec 3>&-; fi
if [ -n "$cmdfile" ]; then . "$cmdfile" || exit 125; [ $# -gt 0 ] || exit 125; fi
umask "$mask"
case $pwd in =*) export PWD="\${pwd#=}";; *) unset PWD;; esac
exec "$@"`;
// (`true`, not `:`, before a redirection that may fail: dash exits on a special builtin's failed redirection.)

/** Where `runch start` leaves the command of a container created without a process: beside its exec fifo. */
export const commandFileFor = (fifo: string) => join(dirname(fifo), 'exec.cmd');

function rlimitValue(value: number): string {
  return value >= 2 ** 63 ? 'unlimited' : String(value);
}

/**
 * choom (oomScoreAdj) -> prlimit (rlimits) -> setpriv (gid, groups, no_new_privs) -> unshare --root/--wd (chroot,
 * cwd, uid) -> program: each step execs the next, so the program keeps the first pid and nothing of runch stays
 * behind. choom goes first, while the chain still runs as root: lowering the score below 0 needs CAP_SYS_RESOURCE.
 */
export function execChain(spec: ProcessSpec & { rootfs: string }, limitsInShell = false): string[] {
  const chain: string[] = [];
  if (spec.oomScoreAdj !== undefined) chain.push(hostBinary('choom'), '-n', String(spec.oomScoreAdj), '--');
  if (spec.rlimits.length > 0 && !limitsInShell) {
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

/**
 * ulimit's flag for the limits the first process sets itself: nofile, the one runch spec (and runc's) writes, counted
 * in plain numbers, with the same flag in dash and busybox sh (their other flags differ or count in blocks).
 */
const SHELL_LIMITS: Record<string, string> = { RLIMIT_NOFILE: 'n' };

/** The rlimits as "r:" steps of INIT_SCRIPT, when the shell can set every one of them; else undefined (prlimit). */
function shellLimitSteps(spec: ProcessSpec): string[] | undefined {
  if (!spec.rlimits.every((limit) => limit.type in SHELL_LIMITS)) return undefined;
  return spec.rlimits.map((limit) => `r:${SHELL_LIMITS[limit.type]}:${rlimitValue(limit.soft)}:${rlimitValue(limit.hard)}`);
}

export interface InitCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
}

function stepArgs(steps: MountStep[]): string[] {
  return steps.flatMap((step) => ('stage' in step ? [`m:${step.stage}`] : 'file' in step ? [`f:${step.file}`] : [`l:${step.link}`, step.target]));
}

const maskOf = (spec: ProcessSpec) => spec.umask.toString(8).padStart(4, '0');
function pwdOf(spec: ProcessSpec): string {
  const pwd = [...spec.env].reverse().find((e) => e.startsWith('PWD='));
  return pwd ? `=${pwd.slice(4)}` : '-';
}

/** The whole command line of the container's first process, ready for spawn or execve. */
export function initCommand(spec: ContainerSpec, opts: { fstab: string; fifo: string; mountNamespace: boolean }): InitCommand {
  const steps = opts.fstab ? mountPlan(spec.readonly, spec.mounts, spec.links).steps : [];
  const needs = (kind: 'file' | 'link') => steps.some((step) => kind in step);
  // Without a process the chain comes from `runch start`, through the command file: only a created container waits.
  const cmdfile = spec.processAtStart && opts.fifo && opts.fifo !== '-' ? commandFileFor(opts.fifo) : '';
  const limits = cmdfile ? undefined : shellLimitSteps(spec);
  const script = [hostBinary('sh', 'a POSIX shell'), '-c', INIT_SCRIPT, 'runch-init', hostBinary('mount'), opts.fstab, opts.fifo];
  const args = [
    ...script,
    maskOf(spec),
    pwdOf(spec),
    hostBinary('mkfifo', 'coreutils'),
    needs('link') ? hostBinary('ln', 'coreutils') : '',
    needs('file') ? hostBinary('mkdir', 'coreutils') : '',
    cmdfile,
    ...stepArgs(steps),
    ...(limits ?? []),
    '--',
    ...(cmdfile ? [] : execChain(spec, limits !== undefined)),
  ];
  const argv = opts.mountNamespace ? [hostBinary('unshare'), '--mount', '--propagation', 'private', '--', ...args] : args;
  const env: Record<string, string> = {};
  for (const entry of spec.env) {
    const at = entry.indexOf('=');
    env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return { file: argv[0], args: argv.slice(1), env };
}

/** A value as one word of sh: single quotes, a quote inside as '\''. */
const shWord = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;

/**
 * The command file `runch start` writes for a container created without a process: quoted data the waiting first
 * process sources, setting its umask, PWD and chain. `env -i` gives the program exactly process.env (the first
 * process was spawned with none: there was no env to give it at create).
 */
export function renderCommandFile(spec: ProcessSpec & { rootfs: string }): string {
  const chain = [hostBinary('env', 'coreutils'), '-i', '--', ...spec.env, ...execChain(spec)];
  return `mask=${shWord(maskOf(spec))} pwd=${shWord(pwdOf(spec))}\nset -- ${chain.map(shWord).join(' ')}\n`;
}
