import { closeSync, openSync, chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

export const RUNCH = resolve(import.meta.dirname, '../../dist/runch.cjs');
export const BUSYBOX = '/bin/busybox';

/** A scratch directory removed when the test ends. */
export function scratch(t: { teardown(fn: () => void): void }, prefix = 'vz-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const APPLETS = ['sh', 'id', 'pwd', 'env', 'ls', 'cat', 'echo', 'sleep', 'true', 'false', 'cut', 'grep', 'ps', 'touch', 'test', 'trap', 'kill', 'date', 'wc', 'head', 'tail', 'printf'];

/** A real busybox-static rootfs (a few hundred KiB). */
export function busyboxRootfs(dir: string): string {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  for (const applet of APPLETS) symlinkSync('busybox', join(dir, 'bin', applet));
  mkdirSync(join(dir, 'etc'), { recursive: true });
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  return dir;
}

export interface BundleOptions {
  args: string[];
  env?: string[];
  cwd?: string;
  user?: { uid: number; gid: number; umask?: number; additionalGids?: number[] };
  rlimits?: { type: string; soft: number; hard: number }[];
  readonly?: boolean;
  mounts?: unknown[];
  extra?: Record<string, unknown>;
  hooks?: Record<string, unknown>;
}

/** A bundle: busybox rootfs + config.json built from the options. */
export function busyboxBundle(dir: string, options: BundleOptions): string {
  busyboxRootfs(join(dir, 'rootfs'));
  writeConfig(dir, options);
  return dir;
}

export function writeConfig(dir: string, options: BundleOptions): void {
  const config: Record<string, unknown> = {
    ociVersion: '1.2.0',
    root: { path: 'rootfs', readonly: options.readonly ?? false },
    process: {
      user: options.user ?? { uid: 0, gid: 0 },
      args: options.args,
      env: options.env ?? ['PATH=/bin'],
      cwd: options.cwd ?? '/',
      rlimits: options.rlimits,
    },
    ...(options.mounts ? { mounts: options.mounts } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
    ...options.extra,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
}

let outputs = 0;

/**
 * Run a program with its stdout and stderr in files, then read them; never rejects. Plain file descriptors, not
 * pipes: execa's {file: ...} would pipe through this process, and a detached container (which inherits runch's
 * stdio, as with runc), an ssh control master or a lab host would hold such a pipe open long after the call.
 * The environment is clean: tap's NODE_OPTIONS hooks must not ride into runch, vzmaster and their children.
 */
export async function execToFiles(file: string, args: string[], options: { dir: string; env?: Record<string, string>; timeout?: number; stdinFile?: string }) {
  mkdirSync(options.dir, { recursive: true });
  const base = join(options.dir, `.out-${process.pid}-${outputs++}`);
  const out = openSync(`${base}.out`, 'w');
  const err = openSync(`${base}.err`, 'w');
  const input = options.stdinFile === undefined ? undefined : openSync(options.stdinFile, 'r');
  const result = await execa(file, args, {
    reject: false,
    timeout: options.timeout ?? 30_000,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    extendEnv: false,
    stdin: input === undefined ? 'ignore' : (input as 5),
    // execa's types list only small literal fds; any open fd works at run time.
    stdout: out as 3,
    stderr: err as 4,
  }).finally(() => {
    closeSync(out);
    closeSync(err);
    if (input !== undefined) closeSync(input);
  });
  const stdout = readFileSync(`${base}.out`, 'utf8');
  const stderr = readFileSync(`${base}.err`, 'utf8');
  rmSync(`${base}.out`);
  rmSync(`${base}.err`);
  return { exitCode: result.exitCode, stdout, stderr, timedOut: result.timedOut };
}

/** Run the built runch with its own --root; output without its final newline, for exact assertions. */
export async function runch(root: string, args: string[], options: { env?: Record<string, string>; timeout?: number } = {}) {
  mkdirSync(root, { recursive: true });
  const result = await execToFiles(RUNCH, ['--root', root, ...args], { ...options, dir: join(root, '..') });
  return { ...result, stdout: result.stdout.replace(/\n$/, ''), stderr: result.stderr.replace(/\n$/, '') };
}

/** Mount points at or below dir in this (the test's private) mount namespace. */
export async function mountsBelow(dir: string): Promise<string[]> {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point) => point && (point === dir || point.startsWith(`${dir}/`)));
}
