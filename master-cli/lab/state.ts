import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeAtomicSync } from '../../base/atomic.ts';
import { VzError } from '../../base/errors.ts';

export const INIT_FLAVOURS = ['sysvinit', 'busybox', 'systemd', 'openrc'] as const;
export type InitFlavour = (typeof INIT_FLAVOURS)[number];

const hostSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/),
    vendor: z.string().regex(/^vendor_[a-z]+$/),
    init: z.enum(INIT_FLAVOURS),
    address: z.string().regex(/^127\.0\.1\.(\d{1,3})$/),
    port: z.number().int().min(1).max(65535),
    /** A fresh VPS for `vzmaster newnode`: root logs in by password only, no vz files, no Node >= 22.15, not in the inventory. */
    fresh: z.boolean().optional(),
    /** The host's root tree ("bullseye-amd64", see trees.ts); absent: the machine's own / (shared or overlaid). */
    tree: z.string().regex(/^[a-z]+-[a-z0-9]+$/).optional(),
    /** The host's own cgroup2 directory (systemd hosts), removed depth-first when the host stops. */
    cgroup: z.string().regex(/^(?!.*\/\.\.?\/)\/(?:[^/\0]+\/)*vz-lab-[0-9a-f]{8}-[a-z][a-z0-9-]*$/).optional(),
    /** unshare's pid and kernel start time, and those of the host's init (pid 1 inside). */
    pid: z.number().int().positive().optional(),
    startTime: z.number().int().optional(),
    initPid: z.number().int().positive().optional(),
    initStartTime: z.number().int().optional(),
  })
  .strict();
export type LabHost = z.infer<typeof hostSchema>;

export const labStateSchema = z
  .object({
    version: z.literal(1),
    dir: z.string(),
    /** vzmaster created the lab dir itself, so `down` removes it too. */
    createdDir: z.boolean(),
    createdAt: z.string(),
    hosts: z.array(hostSchema),
  })
  .strict();
export type LabState = z.infer<typeof labStateSchema>;

export function readLabState(path: string): LabState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new VzError('invalid-config', `lab state ${path} is not valid JSON: remove the lab dir by hand`);
  }
  const checked = labStateSchema.safeParse(data);
  if (!checked.success) throw new VzError('invalid-config', `lab state ${path}: field "${checked.error.issues[0].path.join('.')}": ${checked.error.issues[0].message}`);
  return checked.data;
}

export function writeLabState(path: string, state: LabState): void {
  writeAtomicSync(path, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}
