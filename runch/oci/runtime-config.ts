import type { Runtime } from '../../base/host-contract.ts';

/**
 * One bundle, two configs: the one place that turns an image's config.json (runch's: a chroot, no namespaces) into
 * the config its host's runtime needs. For runch it stays as it is. For runc and crun it gets what runc's own
 * `runc spec` gives a container (mount, pid, ipc and uts namespaces, a /proc of its pid namespace, a private /dev,
 * masked and read-only /proc paths, deny-all devices but the defaults) except the network namespace: the host
 * network, as runch has, so an app binds its host's address (VZ_HOST_ADDR) under either runtime.
 */

/** Which runtime a config.json was written for: the launcher and the supervisor pick the program by it. */
export const RUNTIME_ANNOTATION = 'vz.runtime';

export interface RuntimeConfigOptions {
  /** The cgroup runc/crun put the container in (they always make one): relative to the runtime's own cgroup. */
  cgroupsPath: string;
}

/** The namespaces runc and crun get: the four; no network (the host's), no user (root stays root). */
export const OCI_NAMESPACES = ['pid', 'ipc', 'uts', 'mount'] as const;

/** runc spec's kernel file systems, in its order; sysfs read-only. No /sys/fs/cgroup: no cgroup namespace either. */
const KERNEL_MOUNTS: Record<string, unknown>[] = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
];
const KERNEL_DESTINATIONS = new Set(KERNEL_MOUNTS.map((m) => m.destination as string));

/** runc spec's masked and read-only paths: what a process in the container must not read or change of the host. */
const MASKED_PATHS = ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/**
 * The capability set of a root process when the config names none: Docker's default set, not runc spec's three
 * (runch runs root with every capability; an app that chowns its files or drops to a user needs these).
 */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** The spec version runc 1.1 and crun 1.8 both read (runch's own configs say 1.2.0, which they predate). */
export const OCI_RUNTIME_SPEC = '1.0.2';

/** The config.json `runtime` runs, from the image's (with the deploy's env and the host's volumes applied). */
export function configForRuntime(config: Record<string, unknown>, runtime: Runtime, options: RuntimeConfigOptions): Record<string, unknown> {
  if (runtime === 'runch') return config;
  const process = { ...(config.process as Record<string, unknown> | undefined) };
  // No terminal: the launcher and the supervisor give the program the log file, as runch does.
  process.terminal = false;
  if (process.capabilities === undefined) {
    const set = [...DEFAULT_CAPABILITIES];
    process.capabilities = { bounding: set, effective: set, permitted: set };
  }
  const own = ((config.mounts as Record<string, unknown>[] | undefined) ?? []).filter((m) => !KERNEL_DESTINATIONS.has(m.destination as string) && !isUnder(m.destination as string, '/dev'));
  const linux = { ...(config.linux as Record<string, unknown> | undefined) };
  linux.namespaces = OCI_NAMESPACES.map((type) => ({ type }));
  linux.maskedPaths ??= MASKED_PATHS;
  linux.readonlyPaths ??= READONLY_PATHS;
  linux.cgroupsPath = options.cgroupsPath;
  linux.resources ??= { devices: [{ allow: false, access: 'rwm' }] };
  return {
    ...config,
    ociVersion: OCI_RUNTIME_SPEC,
    process,
    mounts: [...KERNEL_MOUNTS, ...own],
    linux,
    annotations: { ...(config.annotations as Record<string, string> | undefined), [RUNTIME_ANNOTATION]: runtime },
  };
}

/** A bind or tmpfs runch's template puts under /dev (devtmpfs, devpts, shm): runc's own /dev replaces them all. */
function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

/** The runtime a loaded config.json is for: runch unless the conversion marked it. */
export function runtimeOf(annotations: Record<string, string> | undefined): Runtime {
  const value = annotations?.[RUNTIME_ANNOTATION];
  return value === 'runc' || value === 'crun' ? value : 'runch';
}
