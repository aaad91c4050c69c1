import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PlannedMount } from '../oci/load.ts';

/** fstab fields are separated by blanks: mount(8) reads octal escapes back. */
function fstabField(value: string): string {
  return value.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/**
 * All of a container's mounts as one fstab for a single `mount -a -T`: one process instead of one per mount.
 * A read-only root comes first as a read-only bind of the rootfs onto itself, so the other mounts sit on it.
 */
export function renderFstab(rootfs: string, readonly: boolean, mounts: PlannedMount[]): string {
  const lines: string[] = [];
  if (readonly) lines.push([rootfs, rootfs, 'none', 'bind,ro'].map(fstabField).join(' ') + ' 0 0');
  for (const m of mounts) {
    // X-mount.mkdir: a mount point inside an earlier mount (dev/mqueue on the new /dev) exists only then.
    const options = [...m.options, ...(m.targetIsFile ? [] : ['X-mount.mkdir'])].join(',') || 'defaults';
    lines.push([m.source, m.target, m.type, options].map(fstabField).join(' ') + ' 0 0');
  }
  return `${lines.join('\n')}\n`;
}

/** Mount points must exist before `mount -a`; a file bind needs an empty file as its mount point. */
export function prepareMountPoints(mounts: PlannedMount[]): void {
  for (const m of mounts) {
    if (m.targetIsFile) {
      mkdirSync(dirname(m.target), { recursive: true });
      closeSync(openSync(m.target, 'a'));
    } else {
      mkdirSync(m.target, { recursive: true });
    }
  }
}

function decodeMountinfo(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Mount points at or under `dir` in this process's mount namespace, deepest first. */
export function mountsUnder(dir: string): string[] {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  const points = text
    .split('\n')
    .filter(Boolean)
    .map((line) => decodeMountinfo(line.split(' ')[4]))
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length);
}

/**
 * Why: without a mount namespace (old OpenVZ kernels) the mounts are the host's; they are found from
 * mountinfo rather than from a list we wrote, so a crash between two mounts still leaves nothing behind.
 */
export async function unmountUnder(dir: string): Promise<void> {
  if (mountsUnder(dir).length === 0) return; // the usual case: no import, no process
  const { execa } = await import('execa');
  for (let pass = 0; pass < 3; pass++) {
    const points = mountsUnder(dir);
    if (points.length === 0) return;
    for (const point of points) await execa('umount', ['-l', point], { reject: false });
  }
}
