import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import pino from 'pino';
import { onExit } from 'signal-exit';
import { VzError } from '../../base/errors.ts';
import { isAlive } from '../../base/proc.ts';
import type { StateStore } from '../../runch/state/store.ts';
import { logDir } from '../logs/file.ts';
import { parsePolicy } from '../policy/index.ts';
import { readState, stateDir } from '../state/file.ts';
import { tablePath } from '../table/index.ts';
import { Supervisor } from './supervisor.ts';

export interface RunOptions {
  store: StateStore;
  table?: string;
  stateDir?: string;
  logDir?: string;
  events?: string;
  policy?: string;
  adoptPollMs: number;
}

/** `runch supervise`: resolves with the exit code once SIGTERM/SIGINT has stopped everything. */
/**
 * V8 flags for a long-lived, mostly idle process on a small host: a 1 MB young generation instead of up to 16 MB
 * per semi-space (a burst of starts otherwise leaves ~30 MB of new space resident). Node reads them only at start:
 * the supervisor re-executes itself once (process.execve keeps the pid, so init and pid files still see it).
 */
const V8_FLAGS = ['--max-semi-space-size=1'];

function reexecWithFlags(): void {
  if (process.env.VZ_SUPERVISE_FLAGS === '0' || process.execArgv.some((arg) => arg.startsWith('--max-semi-space-size'))) return;
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  if (typeof execve !== 'function' || !process.argv[1]) return; // Node < 22.15: run as is
  execve.call(process, process.execPath, [process.execPath, ...V8_FLAGS, ...process.execArgv, ...process.argv.slice(1)], process.env);
}

export async function runSupervisor(options: RunOptions): Promise<number> {
  reexecWithFlags();
  // A daemon's cwd must not be where it was started: that directory may vanish or be hidden by a later mount, and
  // then every process.cwd() (execa calls it for each child: umount, unshare) throws ENOENT. Paths first, then "/".
  options = {
    ...options,
    table: options.table === undefined ? undefined : resolve(options.table),
    stateDir: options.stateDir === undefined ? undefined : resolve(options.stateDir),
    logDir: options.logDir === undefined ? undefined : resolve(options.logDir),
    events: options.events === undefined ? undefined : resolve(options.events),
  };
  process.chdir('/');
  let policy;
  try {
    policy = parsePolicy(options.policy);
  } catch (error) {
    throw new VzError('usage', `supervise: ${(error as Error).message}`);
  }
  const dir = stateDir(options.stateDir);
  const other = readState(dir)?.supervisor;
  if (other && other.running && other.pid !== process.pid && isAlive(other.pid, other.startTime))
    throw new VzError('exists', `a supervisor already runs for ${dir} (pid ${other.pid}): stop it first (kill ${other.pid})`);
  if (options.events) mkdirSync(dirname(options.events), { recursive: true });
  // Synchronous writes: no worker thread (pino transports cost a thread and megabytes); events are rare.
  const log = pino(
    { base: { supervisor: process.pid }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    pino.destination({ dest: options.events ?? 1, sync: true }),
  );
  const supervisor = new Supervisor({
    store: options.store,
    table: tablePath(options.table),
    stateDir: dir,
    logDir: logDir(options.logDir),
    policy,
    log,
    adoptPollMs: options.adoptPollMs,
  });
  let finished!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finished = resolve));
  const stop = (signal: NodeJS.Signals) => {
    log.info({ event: 'signal', signal }, 'signal received');
    supervisor.shutdown().then(() => finished(0), () => finished(1));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => {
    log.info({ event: 'signal', signal: 'SIGHUP' }, 'reload');
    supervisor.refresh(true, true);
  });
  // Last chance on any other way out (an uncaught error): the state as it stands, written synchronously.
  onExit(() => supervisor.finalWrite());
  process.on('uncaughtException', (error) => {
    log.fatal({ event: 'crash', err: error.stack ?? String(error) }, 'supervisor crashed; containers keep running');
    supervisor.finalWrite();
    process.exit(1);
  });
  await supervisor.start();
  const code = await done;
  // Everything is stopped and written: leave even if some handle (a late watcher, a dying child's pipe) lingers.
  setTimeout(() => process.exit(code), 200).unref();
  return code;
}
