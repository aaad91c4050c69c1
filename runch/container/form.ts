import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as z from 'zod';
import { writeAtomic } from '../../base/atomic.ts';
import { CONFIG_MAX_BYTES, loadBundle } from '../oci/load.ts';
import { hooksSchema } from '../oci/schema.ts';
import type { StateStore } from '../state/store.ts';
import { compileContainer } from './compile.ts';
import { mountNamespaceUsable } from './mountns.ts';

/**
 * The compiled form of a bundle, cached in the runch root (`.compiled/<key>.json`, one per bundle directory): what
 * create, run and the supervisor need to start a container of it, without reading, validating and converting
 * config.json again. It is compiled once per config digest: the same size, mtime and inode mean the same file;
 * otherwise its sha256 decides, and a different one recompiles. A form serves any id: the paths of the id's state
 * directory (fstab, exec fifo) are written with ID_DIR in its place (a NUL can be in no real argument), and
 * `argvFor` puts the id's directory there.
 */
export const ID_DIR = '\0id';
const argv = z.array(z.string()).min(1);
export const formSchema = z.object({
  version: z.literal(1),
  root: z.string(),
  bundle: z.string(),
  config: z.object({ size: z.number().int().min(0), mtimeNs: z.string().regex(/^\d+$/), ino: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  mountNamespace: z.boolean(),
  rootfs: z.string().startsWith('/'),
  uid: z.number().int().min(0),
  gid: z.number().int().min(0),
  processAtStart: z.boolean(),
  fstab: z.string(),
  dirs: z.array(z.string().startsWith('/')),
  files: z.array(z.string().startsWith('/')),
  env: z.record(z.string(), z.string()),
  reporting: argv,
  waiting: argv,
  annotations: z.record(z.string(), z.string()),
  hooks: hooksSchema,
  ignored: z.array(z.string()),
});
export type CompiledForm = z.infer<typeof formSchema>;

/** Bigger than any form of a config.json within CONFIG_MAX_BYTES (env and args appear in it twice). */
const FORM_MAX_BYTES = 4 * CONFIG_MAX_BYTES;

export const formDir = (store: StateStore) => join(store.root, '.compiled');
/** FNV-1a, 64 bits, of the bundle path: a short file name (no crypto on the start path); the form itself names its bundle. */
function keyOf(bundle: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(bundle)) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  return hash.toString(16).padStart(16, '0');
}
export const formPath = (store: StateStore, bundle: string) => join(formDir(store), `${keyOf(resolve(bundle))}.json`);

/** The argv of a form's first process for container `id`: its state directory in place of ID_DIR. */
export function argvFor(store: StateStore, id: string, argv: string[]): string[] {
  const dir = store.dir(id);
  return argv.map((arg) => (arg.startsWith(`${ID_DIR}/`) ? dir + arg.slice(ID_DIR.length) : arg));
}

/** Whether a hook runs before the program or right after it starts: such a container goes through create + start. */
export const hasHooks = (form: CompiledForm) =>
  (['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart'] as const).some((stage) => (form.hooks[stage]?.length ?? 0) > 0);

type Stamp = { size: number; mtimeNs: string; ino: number };
/** A stamp only for a regular config.json within its limit: anything else goes straight to loadBundle's refusal. */
function stampOf(config: string): Stamp | undefined {
  try {
    const info = statSync(config, { bigint: true });
    if (!info.isFile() || info.size > BigInt(CONFIG_MAX_BYTES)) return undefined;
    return { size: Number(info.size), mtimeNs: String(info.mtimeNs), ino: Number(info.ino) };
  } catch {
    return undefined;
  }
}
const sameStamp = (a: Stamp, b: Stamp) => a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino;

/**
 * config.json's sha256, read as loadBundle reads it: opened without waiting (O_NONBLOCK: a FIFO swapped in after the
 * stat must not hang runch), judged by fstat of what was opened (a regular file within CONFIG_MAX_BYTES, or no digest).
 */
async function sha256Of(config: string): Promise<string | undefined> {
  let fd: number | undefined;
  try {
    fd = openSync(config, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    const info = fstatSync(fd);
    if (!info.isFile() || info.size > CONFIG_MAX_BYTES) return undefined;
    const bytes = Buffer.alloc(info.size);
    let read = 0;
    for (let n = -1; n !== 0 && read < bytes.length; read += n) n = readSync(fd, bytes, read, bytes.length - read, read);
    const { createHash } = await import('node:crypto'); // only when a stamp changed: off the usual start
    return createHash('sha256').update(bytes.subarray(0, read)).digest('hex');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The cached form, trusted only when it is a regular file of ours (this euid, writable by nobody else, not a
 * symlink), within its size, of the right shape and for this very id, root and bundle; anything else is no cache.
 */
function readCached(store: StateStore, bundle: string): CompiledForm | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(formPath(store, bundle), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const info = fstatSync(fd);
    if (!info.isFile() || info.uid !== process.geteuid?.() || (info.mode & 0o022) !== 0 || info.size > FORM_MAX_BYTES) return undefined;
    const buffer = Buffer.alloc(info.size);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) return undefined;
      read += n;
    }
    const parsed = formSchema.safeParse(JSON.parse(buffer.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export interface FormResult {
  form: CompiledForm;
  /** true: compiled now (config.json read and validated); false: the cache answered. */
  compiled: boolean;
}

/**
 * The compiled form of bundle `bundleArg`: the cached one when config.json is unchanged, else a
 * fresh one (loadBundle's checks, with its errors), cached for the next start. The stamp and digest are taken before
 * config.json is read: a change in between makes the cache stale, never wrongly fresh.
 */
export async function formFor(store: StateStore, bundleArg: string, options: { processOptional?: boolean } = {}): Promise<FormResult> {
  const bundle = resolve(bundleArg);
  const config = join(bundle, 'config.json');
  store.ensureRoot();
  const mountNamespace = await mountNamespaceUsable(store.root);
  const stamp = stampOf(config);
  const cached = stamp ? readCached(store, bundle) : undefined;
  if (cached && cached.root === store.root && cached.bundle === bundle && cached.mountNamespace === mountNamespace && (options.processOptional || !cached.processAtStart)) {
    if (sameStamp(cached.config, stamp!)) return { form: cached, compiled: false };
    const sha256 = await sha256Of(config);
    if (sha256 === cached.config.sha256) {
      const form = { ...cached, config: { ...stamp!, sha256 } };
      await saveForm(store, form);
      return { form, compiled: false };
    }
  }
  const sha256 = stamp ? await sha256Of(config) : undefined;
  const spec = loadBundle(bundle, options); // the one validation per digest, with its errors for the caller
  const container = compileContainer(spec, { fstab: `${ID_DIR}/fstab`, fifo: `${ID_DIR}/exec.fifo`, mountNamespace });
  const form: CompiledForm = {
    version: 1,
    root: store.root,
    bundle,
    config: { ...(stamp ?? { size: 0, mtimeNs: '0', ino: 0 }), sha256: sha256 ?? '0'.repeat(64) },
    mountNamespace,
    rootfs: spec.rootfs,
    uid: spec.uid,
    gid: spec.gid,
    processAtStart: spec.processAtStart,
    fstab: container.fstab,
    dirs: container.dirs,
    files: container.files,
    env: container.env,
    reporting: container.reporting,
    waiting: container.waiting,
    annotations: spec.annotations,
    hooks: spec.hooks,
    ignored: spec.ignored,
  };
  // A config that could not be digested (gone between stat and read) is used once and never cached.
  if (stamp && sha256) await saveForm(store, form);
  return { form, compiled: true };
}

/** Written 0600: the environment may hold secrets. A cache that cannot be written only costs a compile next time. */
async function saveForm(store: StateStore, form: CompiledForm): Promise<void> {
  try {
    mkdirSync(formDir(store), { recursive: true, mode: 0o700 });
    await writeAtomic(formPath(store, form.bundle), JSON.stringify(form), 0o600);
  } catch {
    // a full or read-only root: the next start compiles again
  }
}

/** Forget a bundle's compiled form (the entry that ran it is gone; another user of the bundle compiles it again). */
export function removeForm(store: StateStore, bundle: string): void {
  rmSync(formPath(store, bundle), { force: true });
}
