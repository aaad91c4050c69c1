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

export const processSchema = z.looseObject({
  terminal: z.boolean().optional(),
  user: userSchema,
  args: z.array(z.string()).min(1, { message: 'must name the program to run (at least one argument)' }),
  env: z.array(z.string().regex(/^[^=]+=/, { message: 'must be KEY=VALUE' })).optional(),
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

export const configSchema = z.looseObject({
  ociVersion: z.string().regex(/^\d+\.\d+\.\d+/, { message: 'must be a version such as 1.2.0' }),
  root: z.looseObject({ path: z.string().min(1), readonly: z.boolean().optional() }),
  process: processSchema,
  hostname: z.string().optional(),
  mounts: z.array(mountSchema).optional(),
  hooks: hooksSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export type OciConfig = z.infer<typeof configSchema>;
export type OciMount = z.infer<typeof mountSchema>;
export type OciHook = z.infer<typeof hookSchema>;
export type OciHooks = z.infer<typeof hooksSchema>;
export type Rlimit = z.infer<typeof rlimitSchema>;
