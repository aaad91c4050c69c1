import * as z from 'zod';
import { type RestartPolicy, restartPolicyData } from './restart-policy.ts';

/**
 * The contract between vzmaster and a host: the host config file, and each `runch host <verb>` request (JSON on
 * stdin) and answer (JSON on stdout). One module, read by both sides, so a field means the same on each; the master
 * never learns anything from a host's English. Imports only zod and the restart-policy grammar (a base leaf): the
 * master, bootstrap and runch all load it.
 */

/** Where the host config lives: inside vz's one writable directory on a host, so a host needs nothing in /etc. */
export const HOST_CONFIG_PATH = '/var/lib/vz/host.json';
export const VZ_HOME = '/var/lib/vz';

const absolute = z.string().startsWith('/', 'give an absolute path');

/**
 * The container runtimes a host can run apps under: runch (chroot, no namespaces: OpenVZ guests, old kernels), or
 * the OCI runtimes runc and crun (mount, pid, ipc and uts namespaces; a KVM host's real isolation).
 */
export const RUNTIMES = ['runch', 'runc', 'crun'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/**
 * The host config: every path vz uses on this host, written by `runch host apply` (each `vzmaster start`) and by
 * `runch host config` (newnode). runch reads it when no flag names a path, so init's lines carry only the id.
 */
export const hostConfigSchema = z
  .object({
    version: z.literal(1),
    /** The host table (supervisor/table's format); the mode file is `mode` beside it. */
    table: absolute,
    /** runch's state root (`runch --root`). */
    stateRoot: absolute,
    /** Containers' logs, `<id>.log`. */
    logDir: absolute,
    /** An app's versions: `<bundles>/<app>/<version>/`. */
    bundles: absolute,
    /** Pushed images, `<sha256>.tar.gz`. */
    images: absolute,
    /** The programs init runs: node and the single-file runch. */
    bins: z.object({ node: absolute, runch: absolute }).strict(),
    /**
     * The container runtime new versions run under (the inventory's vz_runtime, written by each apply): runch, a
     * chroot; runc or crun, namespaces. A version keeps the runtime its config.json was written for.
     */
    runtime: z.enum(RUNTIMES).default('runch'),
  })
  .strict();
export type HostConfig = z.output<typeof hostConfigSchema>;

/** The paths vzmaster installs on every host (bins are filled in by the host: node is wherever it runs). */
export const DEFAULT_HOST_PATHS = {
  table: `${VZ_HOME}/table`,
  stateRoot: '/run/runch',
  logDir: `${VZ_HOME}/log`,
  bundles: `${VZ_HOME}/bundles`,
  images: `${VZ_HOME}/images`,
  runch: `${VZ_HOME}/bin/runch.cjs`,
} as const;

/** App names: what a manifest and `vzmaster start` accept (a container id, short enough for any init line). */
export const APP_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const app = z.string().regex(APP_NAME, 'app: 1-64 lower-case letters, digits, "_" or "-", starting with a letter or digit');
/** A version directory: `<image sha256, 16>` or `<image 16>-<config sha256, 8>`. */
const version = z.string().regex(/^[0-9a-f]{16}(-[0-9a-f]{8})?$/, 'version: <16 hex>[-<8 hex>]');
const imageName = z.string().regex(/^[0-9a-f]{64}\.tar(\.gz|\.zst)?$/, 'image: <sha256>.tar[.gz|.zst], a file name in the images directory');

/** A volume's name (a directory name on the host) and its mount point in the container. */
export const VOLUME_NAME = /^[a-z0-9_-]{1,64}$/;
// Absolute, not "/" itself, no ".." part, no control character (a mount point is a path the kernel takes verbatim).
export const VOLUME_PATH = /^(?!.*(^|\/)\.\.(\/|$))\/[^\u0000-\u001f\u007f]+$/;

/** Who this host is in the master's inventory: its name and address (what replicas see as VZ_HOST, VZ_HOST_ADDR). */
export interface HostSelf {
  name: string;
  addr: string;
}

/** A restart policy as data (the grammar's text is read on the master, once: base/restart-policy.ts). */
export const restartSchema = restartPolicyData;
export type Restart = RestartPolicy;

export const HOST_MODES = ['init', 'supervisor'] as const;
export type HostMode = (typeof HOST_MODES)[number];

/** A health wait done on the host, inside the apply: no extra round trip for it. */
export const healthSchema = z
  .object({
    /** Running (without a restart) for at least this long. */
    minUptimeMs: z.number().int().min(0).max(3_600_000),
    /** Give up after this long. */
    timeoutMs: z.number().int().min(0).max(3_600_000),
    /** Then this command, run on the host (argv, no shell), must exit 0. */
    check: z.array(z.string()).min(1).optional(),
    /** Then this TCP port of the host's address must accept a connection. */
    tcp: z.number().int().min(1).max(65535).optional(),
    /** Then an HTTP GET of this port and path on the host's address must answer this status. */
    http: z.object({ port: z.number().int().min(1).max(65535), path: z.string().startsWith('/'), status: z.number().int().min(100).max(599) }).strict().optional(),
  })
  .strict();
export type Health = z.infer<typeof healthSchema>;

/** `runch host apply`: make this host run `app` at `version`, as the manifest says. */
export const applyRequestSchema = z
  .object({
    app,
    version,
    /** The pushed image (in the host config's images dir), unpacked if this version is not there yet. */
    image: imageName,
    /** The bundle's config.json, env applied: written into the version's directory. */
    config: z.record(z.string(), z.unknown()),
    restart: restartSchema,
    /** A cron entry (5 or 6 fields) instead of a long-running one: supervisor mode only. */
    schedule: z.string().regex(/^\S+( \S+){4,5}$/, 'schedule: 5 or 6 cron fields').optional(),
    mode: z.enum(HOST_MODES),
    /** The runtime this version runs under: the host writes config.json for it (runch/oci/runtime-config.ts). */
    runtime: z.enum(RUNTIMES).default('runch'),
    health: healthSchema.optional(),
    /** Persistent directories: volume name -> absolute path inside the container, bind-mounted in every version. */
    volumes: z.record(z.string().regex(VOLUME_NAME, 'volume names: 1-64 of a-z, 0-9, "_", "-"'), z.string().regex(VOLUME_PATH, 'volume paths: absolute, no "..", no control characters')).optional(),
    /** Versions of the app kept on the host (the running one and the newest others). */
    keep: z.number().int().min(1).max(100).default(3),
  })
  .strict();
export type ApplyRequest = z.input<typeof applyRequestSchema>;

/** `runch host stop | start | remove`: one app's entry off, back on, or gone. */
export const appRequestSchema = z.object({ app }).strict();
export type AppRequest = z.infer<typeof appRequestSchema>;

/** `runch host status`: every app (or one); `runch: true` adds runch's own sha1 (a deploy's question: it costs crypto). */
export const statusRequestSchema = z.object({ app: app.optional(), runch: z.boolean().optional() }).strict();
/**
 * Where a follower stopped reading an app's log: the byte offset in the current file, and the file's first bytes
 * then (base64, at most LOG_HEAD_BYTES). Rotation copies the file to `<app>.log.1` and truncates it, so the inode
 * stays: a new `.1`, a shorter file or other first bytes mean it was rotated, and the old file's copy holds the rest.
 */
export const logCursorSchema = z
  .object({
    offset: z.number().int().min(0),
    head: z.string().max(200),
    /** `<app>.log.1` then (inode:mtime ns:size): a rotation writes a new one, even when the new file starts alike. */
    rotated: z.string().max(100).optional(),
  })
  .strict();
export type LogCursor = z.infer<typeof logCursorSchema>;
export const LOG_HEAD_BYTES = 64;

/**
 * `runch host logs`: the last lines of an app's log. `cursors` (vzmaster logs -f): the new lines since each host's
 * cursor, keyed by inventory name (one request serves every host of a poll; a host not in it gets the last lines and
 * a cursor). `maxBytes` bounds one answer; the cursor then stops where it did and the next poll goes on.
 */
export const logsRequestSchema = z
  .object({
    app,
    lines: z.number().int().min(0).max(100_000).default(20),
    cursors: z.record(z.string(), logCursorSchema).optional(),
    maxBytes: z.number().int().min(1024).max(16 << 20).default(1 << 20),
  })
  .strict();
/** `runch host top`: status plus live figures; `sampleMs` is the interval over which CPU is measured on the host. */
export const topRequestSchema = z.object({ app: app.optional(), sampleMs: z.number().int().min(50).max(5000).default(200) }).strict();
/** `runch host config`: write the host config (defaults for what is not given), nothing else. */
export const configRequestSchema = z.object({}).strict();

/** One app as the host sees it, recomputed from the live system (never the table alone). */
export const appStatusSchema = z.object({
  id: z.string(),
  /** The table's action: respawn | once | cron | off. */
  wanted: z.string(),
  /** running | stopped | exited | backoff | crash-loop | scheduled | ... (init or supervisor words). */
  state: z.string(),
  pid: z.number().int().optional(),
  since: z.string().optional(),
  failures: z.number().int(),
  nextTry: z.string().optional(),
  bundle: z.string(),
  /** The version directory's name (the bundle's last path part). */
  version: z.string(),
  restart: restartSchema,
  schedule: z.string().optional(),
  error: z.string().optional(),
});
export type AppStatus = z.infer<typeof appStatusSchema>;

export const HOST_ERROR_CODES = [
  'usage', 'invalid-id', 'invalid-config', 'not-found', 'exists', 'bad-state', 'locked', 'system',
  /** The request is not one this runch reads (schema): say which field. */
  'bad-request',
  /** A manifest field init mode cannot honour: the message names the fix (supervisor mode). */
  'needs-supervisor',
] as const;
export type HostErrorCode = (typeof HOST_ERROR_CODES)[number];

export const errorAnswerSchema = z.object({ ok: z.literal(false), error: z.object({ code: z.enum(HOST_ERROR_CODES), message: z.string() }) });
export type ErrorAnswer = z.infer<typeof errorAnswerSchema>;

const okAnswer = <T extends z.ZodRawShape>(shape: T) => z.object({ ok: z.literal(true), ...shape });

export const applyAnswerSchema = okAnswer({
  changed: z.boolean(),
  state: z.string(),
  pid: z.number().int().optional(),
  /** What happened, for a person: "unpacked", "mode: supervisor", "pruned 1f2e...". */
  notes: z.array(z.string()),
  /** Present when a health wait was asked for. */
  healthy: z.boolean().optional(),
  why: z.string().optional(),
});
export type ApplyAnswer = z.infer<typeof applyAnswerSchema>;

export const entryAnswerSchema = okAnswer({ changed: z.boolean(), state: z.string() });
export type EntryAnswer = z.infer<typeof entryAnswerSchema>;

export const statusAnswerSchema = okAnswer({
  mode: z.enum(HOST_MODES),
  /** The host config's runtime (absent from a runch older than runtimes). */
  runtime: z.enum(RUNTIMES).optional(),
  /** sha1 of the runch file that answered (what ansible's copy compares), when asked: the master skips a copy that would send nothing. */
  runchSha1: z.string().optional(),
  /** Image files present in the images directory. */
  images: z.array(z.string()),
  apps: z.array(appStatusSchema),
});
export type StatusAnswer = z.infer<typeof statusAnswerSchema>;

export const logsAnswerSchema = okAnswer({
  lines: z.array(z.string()),
  /** Where the next poll starts (always given by a runch that reads cursors). */
  cursor: logCursorSchema.optional(),
  /** Lines a follower cannot get any more (rotated away between two polls): said, never silently skipped. */
  gap: z.boolean().optional(),
});
export type LogsAnswer = z.infer<typeof logsAnswerSchema>;

export const configAnswerSchema = okAnswer({ changed: z.boolean(), config: hostConfigSchema });

/** One app's live figures (`runch host top`), summed over every process of the container. */
export const appTopSchema = appStatusSchema.extend({
  /** Restarts so far (the supervisor's count, or init mode's respawn tally). */
  restarts: z.number().int().min(0),
  /** Seconds since this run started (absent when not running). */
  uptimeS: z.number().min(0).optional(),
  /** Percent of one CPU over the sample interval (200 = two CPUs busy). */
  cpuPct: z.number().min(0),
  /** Resident memory, bytes (VmRSS of each process, summed). */
  rssBytes: z.number().int().min(0),
  /** Open file descriptors. */
  fds: z.number().int().min(0),
  /** The container's processes counted. */
  processes: z.number().int().min(0),
});
export type AppTop = z.infer<typeof appTopSchema>;

/** The host's own figures next to its apps. */
export const hostTopSchema = z.object({
  /** /proc/loadavg: 1, 5, 15 minutes. */
  load: z.tuple([z.number(), z.number(), z.number()]),
  cpus: z.number().int().min(1),
  memTotalBytes: z.number().int().min(0),
  /** MemAvailable: what a new program can still get without swapping. */
  memAvailableBytes: z.number().int().min(0),
  /** Free space for vz (unprivileged free blocks) of the filesystem holding vz's directory, and its size. */
  diskFreeBytes: z.number().int().min(0),
  diskTotalBytes: z.number().int().min(0),
  /** Resident memory of vz's own processes: the supervisor in supervisor mode; in init mode only a waiting restart. */
  vzRssBytes: z.number().int().min(0),
  vzProcesses: z.number().int().min(0),
  sampleMs: z.number().int().min(0),
});
export type HostTop = z.infer<typeof hostTopSchema>;

export const topAnswerSchema = okAnswer({ mode: z.enum(HOST_MODES), host: hostTopSchema, apps: z.array(appTopSchema) });
export type TopAnswer = z.infer<typeof topAnswerSchema>;

/**
 * `runch host rebuild`: the image `image` made in the images directory from the base image `base` there and the
 * delta file `delta` the master just copied beside it (image/delta/), checked by digest before it is named; the delta
 * goes either way. A refusal (no base, a corrupt delta) tells the master to send the full image.
 */
export const rebuildRequestSchema = z
  .object({
    base: imageName,
    image: imageName,
    delta: z.string().regex(/^[0-9a-f]{64}\.from-[0-9a-f]{16}\.vzdelta$/, 'delta: <sha256>.from-<16 hex>.vzdelta, a file name in the images directory'),
  })
  .strict();
export type RebuildRequest = z.infer<typeof rebuildRequestSchema>;
export const rebuildAnswerSchema = okAnswer({ changed: z.boolean(), image: imageName });

/** Every verb: its request and answer schemas. */
export const HOST_VERBS = {
  apply: { request: applyRequestSchema, answer: applyAnswerSchema },
  status: { request: statusRequestSchema, answer: statusAnswerSchema },
  stop: { request: appRequestSchema, answer: entryAnswerSchema },
  start: { request: appRequestSchema, answer: entryAnswerSchema },
  remove: { request: appRequestSchema, answer: entryAnswerSchema },
  logs: { request: logsRequestSchema, answer: logsAnswerSchema },
  config: { request: configRequestSchema, answer: configAnswerSchema },
  top: { request: topRequestSchema, answer: topAnswerSchema },
  rebuild: { request: rebuildRequestSchema, answer: rebuildAnswerSchema },
} as const;
export type HostVerb = keyof typeof HOST_VERBS;
export type HostAnswer<V extends HostVerb> = z.infer<(typeof HOST_VERBS)[V]['answer']>;

/** The first problem of a failed parse, as one line naming the field. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const field = issue.path.join('.');
  return field && !issue.message.startsWith(`${field}:`) ? `${field}: ${issue.message}` : issue.message;
}

/**
 * Read a host's answer (its stdout) on the master: the verb's answer, or its error answer; anything else (an old
 * runch, a crash) is one error naming the verb.
 */
export function readAnswer<V extends HostVerb>(verb: V, stdout: string): HostAnswer<V> | ErrorAnswer {
  let raw: unknown;
  try {
    raw = JSON.parse(stdout);
  } catch {
    return { ok: false, error: { code: 'system', message: `runch host ${verb} printed no answer (${stdout.trim() ? 'not JSON' : 'nothing'}): reinstall runch with "vzmaster start"` } };
  }
  const error = errorAnswerSchema.safeParse(raw);
  if (error.success) return error.data;
  const answer = HOST_VERBS[verb].answer.safeParse(raw);
  if (answer.success) return answer.data as HostAnswer<V>;
  return { ok: false, error: { code: 'system', message: `runch host ${verb} answered something this vzmaster cannot read (${firstIssue(answer.error)}): run the same version on both` } };
}
