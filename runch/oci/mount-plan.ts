import { lstatSync, type Stats, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { VzError } from '../../base/errors.ts';
import { resolveInRoot } from '../container/paths.ts';
import { ARCH_CHROOT_MOUNTS, RESOLV_CONF } from './defaults.ts';
import type { BundleConfig } from './schema.ts';

/**
 * config.json's mounts as runch performs them: in the listed order, destinations resolved inside the rootfs, and
 * the default devices of a tmpfs /dev. Pure data for the first process's steps (container/mounts.ts).
 */

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
  /**
   * The mount point lies under an earlier mount of this list (dev/pts on a tmpfs /dev, a bind into a tmpfs /data):
   * it exists only once that one is mounted, so the container's first process makes it, never the host.
   */
  pointInside: boolean;
}

/** A symlink the container's first process makes once every mount is in place (/dev/ptmx -> pts/ptmx). */
export interface PlannedLink {
  /** Host path inside the rootfs. */
  path: string;
  target: string;
}

/** The nodes the runtime spec's "Default Devices" list; bound from the host's own nodes (see devices below). */
const DEFAULT_DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
/** runc's setupPtmx and setupDevSymlinks. */
const DEFAULT_LINKS: [string, string][] = [
  ['ptmx', 'pts/ptmx'],
  ['fd', '/proc/self/fd'],
  ['stdin', '/proc/self/fd/0'],
  ['stdout', '/proc/self/fd/1'],
  ['stderr', '/proc/self/fd/2'],
];

const FSTAB_ONLY = /^(auto|noauto|nofail|_netdev|X-runch\..*)$/;

const isUnder = (path: string, dir: string) => path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/**
 * A tmpfs /dev (runc's spec template) is the container's own empty /dev: it gets the runtime spec's default devices,
 * /dev/ptmx -> pts/ptmx and the fd links, as runc gives them. The devices are bind mounts of the host's own nodes
 * (what runc does when it may not mknod): a bind works wherever runch can mount at all, while mknod needs CAP_MKNOD
 * and a device cgroup that allows it, which an OpenVZ or LXC guest may refuse; the node is then exactly the host's.
 * A path config.json mounts something on itself is left to that mount. Any other /dev (the host's devtmpfs of the
 * default set, a bind, the rootfs's own directory) already has its nodes and is left alone.
 */
function devices(planned: PlannedMount[], rootfs: string): { mounts: PlannedMount[]; links: PlannedLink[] } {
  const devTarget = resolveInRoot(rootfs, '/dev', 'the rootfs\'s /dev');
  const dev = planned.findLast((m) => m.target === devTarget);
  if (!dev || dev.type !== 'tmpfs') return { mounts: [], links: [] };
  // Compared as resolved host paths, so "/dev/./null/" is /dev/null too.
  const taken = new Set(planned.map((m) => m.target));
  const mounts = DEFAULT_DEVICES.filter((name) => !taken.has(join(devTarget, name))).map((name) => ({
    source: `/dev/${name}`,
    target: join(devTarget, name),
    destination: `/dev/${name}`,
    type: 'none',
    options: ['bind'],
    targetIsFile: true,
    pointInside: true,
  }));
  const links = DEFAULT_LINKS.filter(([name]) => !taken.has(join(devTarget, name))).map(([name, target]) => ({ path: join(devTarget, name), target }));
  return { mounts, links };
}

/**
 * A destination inside an earlier bind mount lies in that bind's source on the host, which the rootfs check never
 * saw. runch mounts before the chroot, so a symlink there is followed on the host: the mount would land outside the
 * rootfs (without a mount namespace, on the host itself, where no cleanup finds it). Refused.
 */
function checkThroughBind(planned: PlannedMount[], target: string, destination: string, index: number): void {
  let holder: PlannedMount | undefined;
  for (const earlier of planned) if (isUnder(target, earlier.target) && (!holder || earlier.target.length > holder.target.length)) holder = earlier;
  if (!holder || holder.type !== 'none') return;
  let path = holder.source;
  for (const part of relative(holder.target, target).split('/')) {
    path = join(path, part);
    let stat: Stats;
    try {
      stat = lstatSync(path);
    } catch {
      return; // missing: made as a plain directory or file when mounting
    }
    if (stat.isSymbolicLink())
      throw new VzError(
        'invalid-config',
        `mounts[${index}].destination "${destination}" passes through the symlink ${path} in the bind mounted at "${holder.destination}" (followed on the host, not in the container): use the real path, or bind the link's target itself`,
      );
  }
}

/** config.json's mounts exactly as listed and in that order (the default set when it lists none), then /dev's devices. */
export function planMounts(config: BundleConfig, bundle: string, rootfs: string): { mounts: PlannedMount[]; links: PlannedLink[] } {
  const declared = config.mounts && config.mounts.length > 0 ? config.mounts : ARCH_CHROOT_MOUNTS;
  const wanted = declared.some((m) => m.destination === RESOLV_CONF.destination) ? declared : [...declared, RESOLV_CONF];
  const planned: PlannedMount[] = [];
  for (const [index, mount] of wanted.entries()) {
    let type = mount.type ?? 'none';
    let source = mount.source ?? type;
    let options = [...(mount.options ?? [])];
    if (type === 'cgroup' || type === 'cgroup2') continue; // no cgroups in a chroot: reported with linux.*
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
    // fstab's own words would change what `mount -a` does with the line (skip it, swallow its failure, or take it
    // for another stage): a listed mount is mounted, and its failure reported.
    options = options.filter((o) => !FSTAB_ONLY.test(o));
    const target = resolveInRoot(rootfs, mount.destination, `mounts[${index}].destination`);
    const pointInside = planned.some((earlier) => isUnder(target, earlier.target));
    if (pointInside) checkThroughBind(planned, target, mount.destination, index);
    planned.push({ source, target, destination: mount.destination, type, options, targetIsFile, pointInside });
  }
  const dev = devices(planned, rootfs);
  return { mounts: [...planned, ...dev.mounts], links: dev.links };
}
