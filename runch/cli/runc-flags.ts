import { VzError } from '../../base/errors.ts';

/**
 * runc flags that OCI clients (podman through conmon, containerd) pass and that runch's verbs do not declare: some
 * mean nothing for a chroot and are dropped, the rest ask for what runch cannot give and are refused in one line
 * naming the flag, so the client shows the user why instead of waiting for something that never comes.
 */
const DROPPED = new Set([
  '--no-pivot', // runch never pivot_roots: it chroots
  '--no-new-keyring', // runch makes no session keyring: the program keeps the caller's, as this flag asks
  '--no-subreaper',
]);

const REFUSED: Record<string, string> = {
  '--console-socket':
    'a terminal (podman -t/--tty) is not something runch gives: the program has its caller\'s stdio, no pseudo-terminal; run it without -t',
  '--tty': 'a terminal (podman exec -t) is not something runch gives: the program has its caller\'s stdio, no pseudo-terminal; run it without -t',
  '--preserve-fds':
    'passing extra file descriptors (podman --preserve-fds, socket activation) is not something runch does: the program gets stdin, stdout and stderr only',
  '--cgroup': 'a cgroup to join is not something runch has: it makes no cgroups',
};

/** The verbs clients drive with runc's flags; the others take only their own. */
const RUNC_VERBS = new Set(['create', 'run', 'exec']);

/** A verb's argv with runc's meaningless flags dropped; a flag runch cannot honour is refused. */
export function runcFlags(verb: string, argv: string[]): string[] {
  if (!RUNC_VERBS.has(verb)) return argv;
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      kept.push(...argv.slice(i));
      break;
    }
    const flag = arg === '-t' ? '--tty' : arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg;
    if (DROPPED.has(flag)) continue;
    const refusal = REFUSED[flag];
    if (refusal !== undefined && !(flag === '--preserve-fds' && preservesNone(arg, argv[i + 1]))) throw new VzError('usage', `${verb}: ${flag}: ${refusal}`);
    if (flag === '--preserve-fds') {
      if (!arg.includes('=')) i++;
      continue;
    }
    kept.push(arg);
    // exec's program and its own flags come after the id: only runch's flags before it are read here
    if (verb === 'exec' && !arg.startsWith('-') && !takesValue(argv[i - 1])) {
      const program = argv.slice(argv[i + 1] === '--' ? i + 2 : i + 1);
      if (program.length > 0) kept.push('--', ...program); // its own flags are not runch's
      break;
    }
  }
  return kept;
}

const preservesNone = (arg: string, next: string | undefined) => (arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : next) === '0';

const EXEC_WITH_VALUE = new Set(['--process', '-p', '--pid-file', '--cwd', '--env', '-e', '--user', '-u']);
const takesValue = (previous: string | undefined) => previous !== undefined && EXEC_WITH_VALUE.has(previous);

/** runc verbs clients call that a chroot runtime has no means for: refused naming what is missing. */
const REFUSED_VERBS: Record<string, string> = {
  pause: 'freezing a container needs the cgroup freezer, and runch makes no cgroups',
  resume: 'freezing a container needs the cgroup freezer, and runch makes no cgroups (nothing is ever paused)',
  update: 'changing resource limits needs cgroups, and runch makes none',
  checkpoint: 'checkpointing (CRIU) needs the namespaces and cgroups runch does not make',
  restore: 'restoring (CRIU) needs the namespaces and cgroups runch does not make',
  events: 'container events and stats come from cgroups, and runch makes none',
  ps: 'listing a container\'s processes goes through its cgroup in runc, and runch makes none',
};

/** The one-line refusal of a runc verb runch cannot do, or undefined for a word that is no runc verb. */
export function refusedVerb(verb: string): string | undefined {
  const why = REFUSED_VERBS[verb];
  return why === undefined ? undefined : `${verb}: not supported by runch: ${why}`;
}
