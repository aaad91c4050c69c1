import { constants } from 'node:os';
import { VzError } from '../../base/errors.ts';
import { execInContainer } from '../container/exec.ts';
import { findProgram } from '../container/paths.ts';
import { loadProcess, loadProcessFile, type ProcessSpec } from '../oci/load.ts';
import type { ContainerState } from '../state/store.ts';
import { defineCommand, requireId } from './command.ts';

const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export const exec = defineCommand({
  name: 'exec',
  summary: 'run one more process in a running container (--process FILE, or the container\'s own process with other args)',
  usage:
    'runch exec [--process FILE | --env K=V... --cwd DIR --user UID[:GID]] [--detach] [--pid-file FILE] <id> [ARGS...]\n' +
    '  example: runch exec web1 sh -c \'ls /proc/self/root/\'',
  options: {
    process: { type: 'string', short: 'p' },
    detach: { type: 'boolean', short: 'd', default: false },
    'pid-file': { type: 'string' },
    env: { type: 'string', short: 'e', multiple: true, default: [] },
    cwd: { type: 'string' },
    user: { type: 'string', short: 'u' },
  },
  async run({ values, positionals, store }) {
    const id = requireId(exec, positionals);
    const args = positionals.slice(1);
    if (values.process !== undefined && (args.length > 0 || values.env.length > 0 || values.cwd || values.user))
      throw new VzError('usage', 'exec: --process FILE says everything about the process: give no ARGS, --env, --cwd or --user with it');
    if (values.process === undefined && args.length === 0) throw new VzError('usage', `exec: what to run is missing: give ARGS or --process FILE; usage: ${exec.usage.split('\n')[0]}`);
    const processFor = (state: ContainerState): ProcessSpec =>
      values.process !== undefined ? loadProcessFile(values.process, state.rootfs) : fromArgs(state, args, values);
    const child = await execInContainer(store, id, processFor, { pidFile: values['pid-file'], detached: values.detach });
    if (values.detach) {
      child.unref();
      return 0;
    }
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    for (const signal of FORWARDED) process.on(signal, forward);
    const code = await new Promise<number>((resolve) => child.once('exit', (c, s) => resolve(c ?? 128 + (s ? constants.signals[s] : 0))));
    for (const signal of FORWARDED) process.off(signal, forward);
    return code;
  },
});

/** runc's exec without --process: the container's own process (env, user, cwd, limits) running other ARGS. */
function fromArgs(state: ContainerState, args: string[], values: { env: string[]; cwd?: string; user?: string }): ProcessSpec {
  const base = loadProcess(state.bundle, state.rootfs);
  const env = [...(base?.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'])];
  for (const entry of values.env) {
    if (!/^[^=]+=/.test(entry)) throw new VzError('usage', `exec: --env "${entry}" must be KEY=VALUE`);
    const key = entry.slice(0, entry.indexOf('=') + 1);
    env.splice(0, env.length, ...env.filter((e) => !e.startsWith(key)), entry);
  }
  let uid = base?.uid ?? 0;
  let gid = base?.gid ?? 0;
  if (values.user !== undefined) {
    const match = /^(\d+)(?::(\d+))?$/.exec(values.user);
    if (!match) throw new VzError('usage', `exec: --user "${values.user}" must be UID or UID:GID, numbers such as 1000:1000`);
    uid = Number(match[1]);
    gid = match[2] === undefined ? gid : Number(match[2]);
  }
  const cwd = values.cwd ?? base?.cwd ?? '/';
  findProgram(state.rootfs, args[0], env, cwd);
  return {
    args,
    env,
    cwd,
    uid,
    gid,
    additionalGids: values.user !== undefined ? [] : (base?.additionalGids ?? []),
    umask: base?.umask ?? 0o022,
    rlimits: base?.rlimits ?? [],
    oomScoreAdj: base?.oomScoreAdj,
    noNewPrivileges: base?.noNewPrivileges ?? false,
  };
}
