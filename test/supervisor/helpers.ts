import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { RUNCH, busyboxBundle, mountsBelow, runch, type BundleOptions } from '../helpers/fixtures.ts';

export interface Host {
  dir: string;
  root: string;
  table: string;
  stateDir: string;
  logDir: string;
  events: string;
  env: Record<string, string>;
  bundle(name: string, options: BundleOptions): string;
  writeTable(lines: string[]): void;
  start(extra?: string[]): Supervisor;
  state(): StateFile | undefined;
  unit(id: string): UnitRec | undefined;
  runch(args: string[]): ReturnType<typeof runch>;
  readEvents(): Record<string, unknown>[];
}

export interface UnitRec {
  id: string;
  state: string;
  pid: number;
  startTime: number;
  restarts: number;
  nextTry: string | null;
  since: string;
  error: string | null;
  lastExit: { code: number | null; signal: string | null } | null;
  wanted: string;
}
export interface StateFile {
  supervisor: { pid: number; running: boolean };
  tableErrors: { line: number; message: string; id?: string }[];
  units: UnitRec[];
}

export interface Supervisor {
  process: ChildProcess;
  pid: number;
  exited: Promise<void>;
  stop(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll (in the test, not in the supervisor) until fn returns a truthy value. */
export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** A private host: runch root, table, state, logs in a scratch dir; every process and container cleaned at the end. */
export function host(t: { teardown(fn: () => void | Promise<void>): void }, policy = ''): Host {
  // Not scratch(): its removal would run before this teardown stops the supervisor (teardowns run in order).
  const dir = mkdtempSync(join(tmpdir(), 'vz-sup-'));
  const h: Host = {
    dir,
    root: join(dir, 'root'),
    table: join(dir, 'etc/table'),
    stateDir: join(dir, 'state'),
    logDir: join(dir, 'logs'),
    events: join(dir, 'events.log'),
    env: {},
    bundle(name, options) {
      return busyboxBundle(join(dir, 'bundles', name), options);
    },
    writeTable(lines) {
      mkdirSync(join(dir, 'etc'), { recursive: true });
      writeFileSync(`${h.table}.new`, lines.map((l) => `${l}\n`).join(''));
      // rename: what an editor or updateEntry does
      renameSync(`${h.table}.new`, h.table);
    },
    start(extra = []) {
      const out = openSync(join(dir, 'supervisor.out'), 'a');
      // A plain spawn with file fds: the supervisor is a daemon the test signals itself (execa's promise adds nothing).
      const child = spawn(RUNCH, ['--root', h.root, 'supervise', '--events', h.events, ...extra], {
        env: { ...h.env, PATH: process.env.PATH ?? '/usr/bin:/bin', VZ_POLICY: policy },
        stdio: ['ignore', out, out],
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      exits.set(child, exited);
      closeSync(out);
      supervisors.push(child);
      return {
        process: child,
        pid: child.pid!,
        exited,
        async stop() {
          child.kill('SIGTERM');
          await exited;
        },
      };
    },
    state() {
      try {
        return JSON.parse(readFileSync(join(h.stateDir, 'state.json'), 'utf8')) as StateFile;
      } catch {
        return undefined;
      }
    },
    unit(id) {
      return h.state()?.units.find((u) => u.id === id);
    },
    runch(args) {
      return runch(h.root, args, { env: h.env });
    },
    readEvents() {
      if (!existsSync(h.events)) return [];
      return readFileSync(h.events, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
    },
  };
  h.env = { VZ_TABLE: h.table, VZ_SUPERVISOR_DIR: h.stateDir, VZ_LOG_DIR: h.logDir, RUNCH_ROOT: h.root };
  const supervisors: ChildProcess[] = [];
  const exits = new Map<ChildProcess, Promise<void>>();
  t.teardown(async () => {
    for (const child of supervisors) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exits.get(child);
      clearTimeout(timer);
    }
    // Containers left by a test that SIGKILLed its supervisor: only ours, by id, through runch.
    if (existsSync(h.root))
      for (const id of readdirSync(h.root).filter((n) => existsSync(join(h.root, n, 'state.json')))) await runch(h.root, ['delete', '--force', id]);
    // Mounts a test made under its dir (a tiny tmpfs), deepest first, then the dir.
    for (const point of (await mountsBelow(dir)).reverse()) execFileSync('umount', ['-l', point]);
    rmSync(dir, { recursive: true, force: true });
  });
  return h;
}

/** The pids of running processes whose command line is exactly argv (to count duplicates). */
export function pidsOf(argv: string[]): number[] {
  const want = argv.join('\0');
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        const stat = readFileSync(`/proc/${n}/stat`, 'latin1');
        const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
        return state !== 'Z' && readFileSync(`/proc/${n}/cmdline`, 'latin1').replace(/\0$/, '') === want;
      } catch {
        return false;
      }
    })
    .map(Number);
}
