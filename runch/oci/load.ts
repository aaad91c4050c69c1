import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, type Stats, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import * as z from 'zod';
import { VzError } from '../../base/errors.ts';
import { findProgram, resolveInRoot } from '../container/paths.ts';
import { ignoredFields } from './ignored.ts';
import { type PlannedLink, type PlannedMount, planMounts } from './mount-plan.ts';
export type { PlannedLink, PlannedMount } from './mount-plan.ts';
import { type BundleConfig, bundleConfigSchema, type OciHooks, type OciProcess, processSchema, type Rlimit } from './schema.ts';

/** What runs: config.json's `process`, checked against the rootfs. */
export interface ProcessSpec {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  umask: number;
  rlimits: Rlimit[];
  /** /proc/PID/oom_score_adj for the program, when the config sets one. */
  oomScoreAdj?: number;
  noNewPrivileges: boolean;
}

/**
 * The runtime's own validated view of a bundle: converted once, at the edge. With `processAtStart` (config.json had
 * no process at create, which the runtime spec allows) the process fields are an empty placeholder (no args, cwd /):
 * `runch start` reads the process then.
 */
export interface ContainerSpec extends ProcessSpec {
  bundle: string;
  rootfs: string;
  readonly: boolean;
  processAtStart: boolean;
  /** In the order they are mounted: config.json's list, then the default devices of a tmpfs /dev. */
  mounts: PlannedMount[];
  /** Made after every mount. */
  links: PlannedLink[];
  hooks: OciHooks;
  annotations: Record<string, string>;
  ignored: string[];
}

/** Why: one message naming the field, the value received and the fix; zod's own list is too long for a CLI. */
function describeIssue(error: z.ZodError, raw: unknown, file = 'config.json'): string {
  const issue = error.issues[0];
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  let value: unknown = raw;
  for (const key of issue.path) value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  const got = value === undefined ? 'it is missing' : `got ${JSON.stringify(value)?.slice(0, 60)}`;
  return `${file}: ${path || '(top level)'}: ${issue.message} (${got}); fix it in ${file}`;
}

export function parseConfig(text: string): { config: BundleConfig; raw: Record<string, unknown> } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new VzError('invalid-config', `config.json is not valid JSON (${(error as Error).message}): fix its syntax`);
  }
  const parsed = bundleConfigSchema.safeParse(raw);
  if (!parsed.success) throw new VzError('invalid-config', describeIssue(parsed.error, raw));
  return { config: parsed.data, raw: raw as Record<string, unknown> };
}

function readConfig(bundle: string): string {
  try {
    if (!statSync(bundle).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new VzError('not-found', `bundle "${bundle}" is not a directory: give --bundle the directory holding config.json`);
  }
  return readConfigFile(join(bundle, 'config.json'), bundle);
}

/** Real configs are a few KiB; 1 MiB leaves room for big env lists and hooks, and bounds what runch reads. */
export const CONFIG_MAX_BYTES = 1024 * 1024;

/**
 * config.json, refused unless it is a regular file of at most CONFIG_MAX_BYTES. Why: a symlink to /dev/zero made
 * runch read until the OOM killer came, a FIFO hung it forever. O_NONBLOCK keeps the open of a FIFO from waiting
 * for a writer; fstat then judges the file actually opened, so nothing can be swapped in between.
 */
function readConfigFile(path: string, bundle: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    throw new VzError('not-found', `bundle "${bundle}" has no config.json: create one with "runch spec" in that directory`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new VzError('invalid-config', `${path} is not a regular file (${fileKind(stat)}): replace it with the config.json file itself`);
    if (stat.size > CONFIG_MAX_BYTES)
      throw new VzError('invalid-config', `${path} is ${stat.size} bytes, over runch's limit of ${CONFIG_MAX_BYTES} (1 MiB): a config.json is a few KiB; check the file`);
    const buffer = Buffer.alloc(stat.size + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > CONFIG_MAX_BYTES) throw new VzError('invalid-config', `${path} grew past runch's limit of ${CONFIG_MAX_BYTES} bytes while it was read: check the file`);
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

function fileKind(stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  if (stat.isDirectory()) return 'a directory';
  return 'not a file';
}

function rootfsOf(bundle: string, rootPath: string): string {
  const lexical = resolve(bundle, rootPath);
  let real: string;
  try {
    real = realpathSync(lexical);
  } catch {
    throw new VzError('not-found', `root.path "${rootPath}" does not exist in bundle ${bundle}: create the rootfs there`);
  }
  // "." (the bundle itself is the root) is valid and common. An absolute path may be anywhere, as the runtime spec
  // allows and podman writes it (its storage's directory); a relative one that climbs out of the bundle is refused.
  const inside = relative(bundle, real);
  if (!isAbsolute(rootPath) && (inside.startsWith('..') || isAbsolute(inside)))
    throw new VzError('invalid-config', `root.path "${rootPath}" is outside the bundle ${bundle}: put the rootfs inside the bundle, or give its absolute path`);
  // The host's own root as a container's: delete would unmount every mount of the host (mounts.ts, unmountUnder).
  if (real === '/') throw new VzError('invalid-config', `root.path "${rootPath}" is the host's own root "/": give the container a rootfs of its own`);
  if (!statSync(real).isDirectory()) throw new VzError('invalid-config', `root.path "${rootPath}" is not a directory`);
  return real;
}

/** config.json's process, checked against the rootfs: the program is there and executable, cwd stays inside. */
function processSpec(proc: OciProcess, rootfs: string): ProcessSpec {
  const env = proc.env ?? [];
  resolveInRoot(rootfs, proc.cwd, 'process.cwd');
  findProgram(rootfs, proc.args[0], env, proc.cwd);
  return {
    args: proc.args,
    env,
    cwd: proc.cwd,
    uid: proc.user.uid,
    gid: proc.user.gid,
    additionalGids: proc.user.additionalGids ?? [],
    umask: proc.user.umask ?? 0o022,
    rlimits: proc.rlimits ?? [],
    oomScoreAdj: proc.oomScoreAdj,
    noNewPrivileges: proc.noNewPrivileges ?? false,
  };
}

/** What a container created without a process holds until start: nothing to run yet. */
const NO_PROCESS: ProcessSpec = { args: [], env: [], cwd: '/', uid: 0, gid: 0, additionalGids: [], umask: 0o022, rlimits: [], noNewPrivileges: false };

const MISSING_PROCESS = 'config.json: process: is missing, and it says what to run: add "process" (at least args, cwd and user)';

/**
 * `runch start` of a container created without a process: the bundle's config.json as it is now must have one.
 * Only `process` is read; the root and the mounts stay as create set them up. undefined: it still has none.
 */
export function loadProcess(bundle: string, rootfs: string): ProcessSpec | undefined {
  const { config } = parseConfig(readConfig(bundle));
  return config.process ? processSpec(config.process, rootfs) : undefined;
}

/**
 * Load, validate and convert a bundle's config.json; every failure names the field and the fix. `process` is
 * required unless `processOptional` (create, whose program start may bring: the runtime spec's lifecycle).
 */
export function loadBundle(bundleArg: string, options: { processOptional?: boolean } = {}): ContainerSpec {
  const bundle = resolve(bundleArg);
  const { config, raw } = parseConfig(readConfig(bundle));
  const rootfs = rootfsOf(realpathSync(bundle), config.root.path);
  if (!config.process && !options.processOptional) throw new VzError('invalid-config', `${MISSING_PROCESS} (only "runch create" goes without one)`);
  const { mounts, links } = planMounts(config, realpathSync(bundle), rootfs);
  return {
    bundle: realpathSync(bundle),
    rootfs,
    readonly: config.root.readonly ?? false,
    ...(config.process ? processSpec(config.process, rootfs) : NO_PROCESS),
    processAtStart: !config.process,
    mounts,
    links,
    hooks: config.hooks ?? {},
    annotations: config.annotations ?? {},
    ignored: ignoredFields(raw),
  };
}

/**
 * `runch exec --process FILE`: one OCI process object (what podman exec writes), checked as config.json's process is,
 * against the running container's rootfs. `terminal: true` is refused: runch gives no pseudo-terminal.
 */
export function loadProcessFile(path: string, rootfs: string): ProcessSpec {
  let text: string;
  try {
    text = readConfigFile(path, dirname(path));
  } catch (error) {
    if (error instanceof VzError && error.code === 'not-found') throw new VzError('not-found', `--process ${path} cannot be opened: give the process JSON file`);
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new VzError('invalid-config', `--process ${path} is not valid JSON (${(error as Error).message}): fix its syntax`);
  }
  const parsed = processSchema.safeParse(raw);
  if (!parsed.success) throw new VzError('invalid-config', describeIssue(parsed.error, raw, path));
  if (parsed.data.terminal === true)
    throw new VzError('invalid-config', `${path}: terminal: true asks for a pseudo-terminal, which runch does not give (the program has its caller's stdio): run it without -t`);
  return processSpec(parsed.data, rootfs);
}
