import * as z from 'zod';

/**
 * The OCI runtime config (config.json) as runch reads it: the one module that knows the spec's shape.
 * Objects are loose: fields a chroot runtime cannot honour are kept so they can be reported, not rejected.
 */
// One parse per process for a CLI: zod's JIT-compiled validators cost more to build (~4 ms) than they save.
z.config({ jitless: true });

const uint = z.number().int().min(0);
const absolutePath = z.string().startsWith('/', { message: 'must be an absolute path (starting with /)' });

export const RLIMIT_TYPES = [
  'RLIMIT_AS', 'RLIMIT_CORE', 'RLIMIT_CPU', 'RLIMIT_DATA', 'RLIMIT_FSIZE', 'RLIMIT_LOCKS', 'RLIMIT_MEMLOCK',
  'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_NOFILE', 'RLIMIT_NPROC', 'RLIMIT_RSS', 'RLIMIT_RTPRIO',
  'RLIMIT_RTTIME', 'RLIMIT_SIGPENDING', 'RLIMIT_STACK',
] as const;

export const userSchema = z.looseObject({
  uid: uint,
  gid: uint,
  umask: z.number().int().min(0).max(0o777).optional(),
  additionalGids: z.array(uint).optional(),
});

/** A u64 as JSON gives it: RLIM_INFINITY (2^64 - 1) arrives as a float above 2^53, which zod's int() refuses. */
const u64 = z.number().min(0).refine(Number.isInteger, 'must be a whole number');

export const rlimitSchema = z.object({
  type: z.enum(RLIMIT_TYPES),
  soft: u64,
  hard: u64,
});

/**
 * Linux's capability names (include/uapi/linux/capability.h, 0 to 40). runch cannot apply the sets (no user
 * namespace, no capset of its own: reported once as ignored), but a name that is no capability is a typo the user
 * must hear about, as runc refuses it.
 */
export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;
const capabilityList = z.array(z.enum(CAPABILITIES, { message: `is no Linux capability: use names such as CAP_NET_BIND_SERVICE` })).optional();

/**
 * What execve takes: no NUL (the kernel would cut the string there: a value silently shortened, or a crash loop with
 * no reason in the log) and at most MAX_ARG_STRLEN (128 KiB) per string, or exec fails with E2BIG.
 */
export const MAX_ARG_STRLEN = 128 * 1024;
const execString = z
  .string()
  .refine((s) => !s.includes('\0'), 'holds a NUL byte, which exec cannot pass: remove it')
  .refine((s) => Buffer.byteLength(s) < MAX_ARG_STRLEN, `is longer than the kernel's ${MAX_ARG_STRLEN} bytes per argument (exec would fail with E2BIG): shorten it or pass it in a file`);

export const processSchema = z.looseObject({
  capabilities: z
    .looseObject({ bounding: capabilityList, effective: capabilityList, inheritable: capabilityList, permitted: capabilityList, ambient: capabilityList })
    .optional(),
  /** Honoured: choom(1) sets it just before the program runs (-1000 never killed first, 1000 killed first). */
  oomScoreAdj: z.number().int().min(-1000).max(1000).optional(),
  terminal: z.boolean().optional(),
  user: userSchema,
  args: z.array(execString).min(1, { message: 'must name the program to run (at least one argument)' }),
  env: z.array(execString.regex(/^[^=]+=/, { message: 'must be KEY=VALUE' })).optional(),
  cwd: absolutePath,
  rlimits: z.array(rlimitSchema).optional(),
  noNewPrivileges: z.boolean().optional(),
});

export const mountSchema = z.looseObject({
  destination: absolutePath,
  type: z.string().optional(),
  source: z.string().optional(),
  options: z.array(z.string()).optional(),
});

export const hookSchema = z.object({
  path: absolutePath,
  args: z.array(z.string()).optional(),
  env: z.array(z.string()).optional(),
  timeout: z.number().int().positive().optional(),
});

const hookList = z.array(hookSchema).optional();
export const hooksSchema = z.looseObject({
  prestart: hookList,
  createRuntime: hookList,
  createContainer: hookList,
  startContainer: hookList,
  poststart: hookList,
  poststop: hookList,
});

/**
 * A namespace to join (`path`), as podman asks for its network namespace unless `--network host`: runch makes no
 * namespace but its own mount one, and running the program in the host's network instead of the one asked for would
 * expose it where its client promised isolation, so it is refused. A namespace to create (no path) stays accepted and
 * named as ignored (ignored.ts), as for every `runc spec` config.
 */
export const namespaceSchema = z.looseObject({
  type: z.string(),
  path: z
    .string()
    .optional()
    .refine((path) => path === undefined || path === '', {
      message:
        'is a namespace to join, which runch cannot do (a chroot runtime: the host\'s namespaces, a mount namespace of its own): drop it and use the host\'s (podman: --network host, --pid host, --ipc host, --uts host)',
    }),
});

/** linux.*: only what runch must check; the rest is kept and named as ignored. */
const linuxSchema = z.looseObject({ namespaces: z.array(namespaceSchema).optional() });

export const configSchema = z.looseObject({
  ociVersion: z.string().regex(/^\d+\.\d+\.\d+/, { message: 'must be a version such as 1.2.0' }),
  root: z.looseObject({ path: z.string().min(1), readonly: z.boolean().optional() }),
  process: processSchema,
  hostname: z.string().optional(),
  mounts: z.array(mountSchema).optional(),
  hooks: hooksSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  linux: linuxSchema.optional(),
});

/**
 * config.json as the runtime spec allows it at create: `process` is optional there, only `start` needs it.
 * configSchema (process required) stays the shape of a config that can run, as `runch spec` and vzimage write it.
 */
export const bundleConfigSchema = configSchema.extend({ process: processSchema.optional() });

export type OciConfig = z.infer<typeof configSchema>;
export type BundleConfig = z.infer<typeof bundleConfigSchema>;
export type OciProcess = z.infer<typeof processSchema>;
export type OciMount = z.infer<typeof mountSchema>;
export type OciHook = z.infer<typeof hookSchema>;
export type OciHooks = z.infer<typeof hooksSchema>;
export type Rlimit = z.infer<typeof rlimitSchema>;
