import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as z from 'zod';
import { writeAtomic } from '../../base/atomic.ts';
import { VzError } from '../../base/errors.ts';
import { isAlive } from '../../base/proc.ts';
import { checkId } from '../container/paths.ts';
import type { Status } from '../container/status.ts';
import { hooksSchema } from '../oci/schema.ts';

/** What runch keeps on disk per container: small, JSON, readable with cat. */
export const storedStateSchema = z.object({
  ociVersion: z.string(),
  id: z.string(),
  status: z.enum(['creating', 'created', 'running', 'stopped']),
  pid: z.number().int().min(0),
  /** Kernel start time of pid (clock ticks since boot): tells the container from a process that reused its pid. */
  startTime: z.number().int().min(0),
  bundle: z.string(),
  rootfs: z.string(),
  annotations: z.record(z.string(), z.string()),
  created: z.string(),
  /** true: the mounts live in the container's own mount namespace and vanish with it. */
  mountNamespace: z.boolean(),
  /** The container's own mount namespace (readlink /proc/PID/ns/mnt at create): its processes are found by it. */
  mountNs: z.string().optional(),
  /** Kept for start and delete, which must not depend on the bundle still being there. */
  hooks: hooksSchema,
});
export type StoredState = z.infer<typeof storedStateSchema>;

/** The runtime-spec state, with status recomputed from the live system. */
export type ContainerState = StoredState & { status: Status };

export const OCI_VERSION = '1.2.0';

export class StateStore {
  readonly root: string;
  constructor(root: string) {
    // Absolute: the supervisor leaves its starting directory for "/".
    this.root = resolve(root);
  }

  dir(id: string): string {
    return join(this.root, checkId(id));
  }
  file(id: string): string {
    return join(this.dir(id), 'state.json');
  }
  fifo(id: string): string {
    return join(this.dir(id), 'exec.fifo');
  }
  fstab(id: string): string {
    return join(this.dir(id), 'fstab');
  }
  /** The lock path for an id: beside the state directory so deleting the state never drops a held lock. */
  lockPath(id: string): string {
    return join(this.root, checkId(id));
  }

  ensureRoot(): void {
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
  }

  exists(id: string): boolean {
    return existsSync(this.file(id));
  }

  /** Load and recompute: the file alone is never trusted for liveness. */
  load(id: string): ContainerState {
    const file = this.file(id);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new VzError('not-found', `container "${id}" does not exist: see "runch list"`);
    }
    let stored: StoredState;
    try {
      stored = storedStateSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new VzError('system', `state of container "${id}" (${this.file(id)}) is damaged: remove it with "runch delete --force ${id}"`, { cause: error });
    }
    return { ...stored, status: this.liveStatus(stored) };
  }

  liveStatus(stored: StoredState): Status {
    if (stored.status === 'creating') return isAlive(stored.pid, stored.startTime) || stored.pid === 0 ? 'creating' : 'stopped';
    if (!isAlive(stored.pid, stored.startTime)) return 'stopped';
    return existsSync(this.fifo(stored.id)) ? 'created' : 'running';
  }

  async save(state: StoredState): Promise<void> {
    mkdirSync(this.dir(state.id), { recursive: true, mode: 0o711 });
    await writeAtomic(this.file(state.id), `${JSON.stringify(state, null, 2)}\n`);
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  ids(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return [];
    }
    return names.filter((name) => !name.endsWith('.lock') && existsSync(join(this.root, name, 'state.json'))).sort();
  }
}
