import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../../base/atomic.ts';
import { hostBinary } from './hostbin.ts';

/**
 * Whether this kernel lets runch give a container its own mount namespace (then a crash leaves no mounts
 * behind). Old OpenVZ kernels refuse; runch then mounts on the host and cleans up itself.
 * RUNCH_MOUNT_NS=yes|no overrides the probe; the probe's answer is cached under --root (a tmpfs: reset on boot).
 */
export async function mountNamespaceUsable(root: string): Promise<boolean> {
  const forced = process.env.RUNCH_MOUNT_NS;
  if (forced === 'yes' || forced === 'no') return forced === 'yes';
  const cache = join(root, '.mountns');
  try {
    // Only a whole answer counts: a file cut short (a full disk, a crash mid-write) is probed again, never read as no.
    const answer = readFileSync(cache, 'utf8').split('\n')[0];
    if (answer === 'yes' || answer === 'no') return answer === 'yes';
  } catch {
    // not probed yet
  }
  const { execa } = await import('execa');
  const probe = await execa(hostBinary('unshare'), ['--mount', '--propagation', 'private', 'true'], { reject: false });
  const usable = probe.exitCode === 0;
  // A probe that did not run (no unshare, no memory to fork) says nothing about the kernel: not cached.
  if (!usable && typeof probe.exitCode !== 'number') return false;
  try {
    // A refusal keeps unshare's reason beside the answer: `cat` tells why this host mounts on the host.
    await writeAtomic(cache, usable ? 'yes\n' : `no\n${String(probe.stderr ?? '').trim() || `exit ${probe.exitCode}`}\n`);
  } catch {
    // an unwritable cache (a full --root) only costs a probe next time: the atomic write leaves no partial file
  }
  return usable;
}
