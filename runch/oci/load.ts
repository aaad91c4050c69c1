import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, type Stats, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import * as z from 'zod';
import { VzError } from '../../base/errors.ts';
import { findProgram, resolveInRoot } from '../container/paths.ts';
import { ARCH_CHROOT_MOUNTS, RESOLV_CONF } from './defaults.ts';
import { ignoredFields } from './ignored.ts';
import { configSchema, type OciConfig, type OciHooks, type Rlimit } from './schema.ts';

/** A mount as runch performs it: host paths resolved, options ready for mount(8). */
export interface PlannedMount {
  source: string;
  /** Host path inside the rootfs, symlinks already resolved. */
  target: string;
  destination: string;
  type: string;
  options: string[];
  /** A file bind mount needs a file, not a directory, as its mount point. */
  targetIsFile: boolean;
}

/** The runtime's own validated view of a bundle: converted once, at the edge. */
export interface ContainerSpec {
  bundle: string;
  rootfs: string;
  readonly: boolean;
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
  mounts: PlannedMount[];
  hooks: OciHooks;
  annotations: Record<string, string>;
  ignored: string[];
}

/** Why: one message naming the field, the value received and the fix; zod's own list is too long for a CLI. */
function describeIssue(error: z.ZodError, raw: unknown): string {
  const issue = error.issues[0];
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  let value: unknown = raw;
  for (const key of issue.path) value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  const got = value === undefined ? 'it is missing' : `got ${JSON.stringify(value)?.slice(0, 60)}`;
  return `config.json: ${path || '(top level)'}: ${issue.message} (${got}); fix it in config.json`;
}

export function parseConfig(text: string): { config: OciConfig; raw: Record<string, unknown> } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new VzError('invalid-config', `config.json is not valid JSON (${(error as Error).message}): fix its syntax`);
  }
  const parsed = configSchema.safeParse(raw);
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
  // "." (the bundle itself is the root) is valid and common; only a root outside the bundle is refused.
  const inside = relative(bundle, real);
  if (inside.startsWith('..') || isAbsolute(inside))
    throw new VzError('invalid-config', `root.path "${rootPath}" is outside the bundle ${bundle}: put the rootfs inside the bundle`);
  if (!statSync(real).isDirectory()) throw new VzError('invalid-config', `root.path "${rootPath}" is not a directory`);
  return real;
}

const DEV_TMPFS = { type: 'devtmpfs', source: 'udev', options: ['mode=0755', 'nosuid'] };

function planMounts(config: OciConfig, bundle: string, rootfs: string): PlannedMount[] {
  const declared = config.mounts && config.mounts.length > 0 ? config.mounts : ARCH_CHROOT_MOUNTS;
  const wanted = declared.some((m) => m.destination === RESOLV_CONF.destination) ? declared : [...declared, RESOLV_CONF];
  const planned: PlannedMount[] = [];
  for (const [index, mount] of wanted.entries()) {
    let type = mount.type ?? 'none';
    let source = mount.source ?? type;
    let options = [...(mount.options ?? [])];
    if (type === 'cgroup' || type === 'cgroup2') continue; // no cgroups in a chroot: reported with linux.*
    // A tmpfs /dev (runc's default) has no device nodes without a device list runch cannot honour:
    // use the host's devtmpfs, as arch-chroot does.
    if (mount.destination === '/dev' && type === 'tmpfs') ({ type, source, options } = { ...DEV_TMPFS, options: [...DEV_TMPFS.options] });
    const isBind = type === 'bind' || options.includes('bind') || options.includes('rbind');
    if (isBind) {
      type = 'none';
      if (!options.includes('bind') && !options.includes('rbind')) options.push('bind');
      source = isAbsolute(source) ? source : resolve(bundle, source);
    }
    if (mount.destination === RESOLV_CONF.destination && mount === RESOLV_CONF) {
      try {
        statSync(source);
      } catch {
        continue; // the host has no resolv.conf: nothing to share
      }
    }
    let targetIsFile = false;
    if (isBind) {
      try {
        targetIsFile = !statSync(source).isDirectory();
      } catch {
        throw new VzError('invalid-config', `mounts[${index}].source "${mount.source}" does not exist on the host: fix the path`);
      }
    }
    // Propagation flags are meaningless without a namespace of the container's own.
    options = options.filter((o) => !/^r?(shared|slave|private|unbindable)$/.test(o) && o !== 'tmpcopyup');
    const target = resolveInRoot(rootfs, mount.destination, `mounts[${index}].destination`);
    planned.push({ source, target, destination: mount.destination, type, options, targetIsFile });
  }
  return planned;
}

/** Load, validate and convert a bundle's config.json; every failure names the field and the fix. */
export function loadBundle(bundleArg: string): ContainerSpec {
  const bundle = resolve(bundleArg);
  const { config, raw } = parseConfig(readConfig(bundle));
  const rootfs = rootfsOf(realpathSync(bundle), config.root.path);
  const proc = config.process;
  const env = proc.env ?? [];
  resolveInRoot(rootfs, proc.cwd, 'process.cwd');
  findProgram(rootfs, proc.args[0], env, proc.cwd);
  return {
    bundle: realpathSync(bundle),
    rootfs,
    readonly: config.root.readonly ?? false,
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
    mounts: planMounts(config, realpathSync(bundle), rootfs),
    hooks: config.hooks ?? {},
    annotations: config.annotations ?? {},
    ignored: ignoredFields(raw),
  };
}
