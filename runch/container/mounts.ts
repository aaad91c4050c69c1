import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PlannedLink, PlannedMount } from '../oci/load.ts';

/** fstab fields are separated by blanks: mount(8) reads octal escapes back. */
function fstabField(value: string): string {
  return value.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/**
 * One step of the first process's mounting, in order: `mount -a` of one stage of the fstab, an empty file as the
 * mount point of a file bind under an earlier mount (/dev/null on a tmpfs /dev), or a symlink (/dev/ptmx).
 * Pure data, so the launch can be a constant script (or compiled into one).
 */
export type MountStep = { stage: number } | { file: string } | { link: string; target: string };

const isUnder = (path: string, dir: string) => path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/**
 * The stage of each mount and the steps. A stage is a run of mounts that one `mount -a` does in fstab order (a
 * directory inside an earlier one made by X-mount.mkdir); a file mount point inside a mount of the same run ends it,
 * so the file is made once its parent is mounted. Usually one stage, two for a tmpfs /dev (its device nodes).
 */
export function mountPlan(readonly: boolean, mounts: PlannedMount[], links: PlannedLink[]): { stages: number[]; steps: MountStep[] } {
  const stages: number[] = [];
  const steps: MountStep[] = [];
  let stage = 1;
  let open = readonly; // the read-only bind of the rootfs opens stage 1
  let inStage: PlannedMount[] = [];
  const close = () => {
    if (open) steps.push({ stage: stage++ });
    open = false;
    inStage = [];
  };
  for (const m of mounts) {
    if (m.pointInside && m.targetIsFile) {
      if (inStage.some((earlier) => isUnder(m.target, earlier.target))) close();
      steps.push({ file: m.target });
    }
    inStage.push(m);
    stages.push(stage);
    open = true;
  }
  close();
  for (const l of links) steps.push({ link: l.path, target: l.target });
  return { stages, steps };
}

/** The fstab option naming a line's stage: `mount -a -O X-runch.sN` mounts that stage only (X-: never the kernel's). */
export const stageOption = (stage: number) => `X-runch.s${stage}`;

/**
 * All of a container's mounts as one fstab, each line tagged with its stage: one `mount -a` per stage instead of
 * one process per mount. A read-only root comes first as a read-only bind of the rootfs onto itself, so the other
 * mounts sit on it.
 */
export function renderFstab(rootfs: string, readonly: boolean, mounts: PlannedMount[]): string {
  const { stages } = mountPlan(readonly, mounts, []);
  const lines: string[] = [];
  if (readonly) lines.push([rootfs, rootfs, 'none', `bind,ro,${stageOption(1)}`].map(fstabField).join(' ') + ' 0 0');
  for (const [i, m] of mounts.entries()) {
    // X-mount.mkdir: a mount point inside an earlier mount (dev/mqueue on the new /dev) exists only then.
    const options = [...m.options, ...(m.targetIsFile ? [] : ['X-mount.mkdir']), stageOption(stages[i])].join(',');
    lines.push([m.source, m.target, m.type, options].map(fstabField).join(' ') + ' 0 0');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Mount points on the rootfs must exist before `mount -a`; a file bind needs an empty file as its mount point.
 * Points under an earlier mount are the first process's to make (nothing is written into the rootfs under a tmpfs).
 */
export function prepareMountPoints(mounts: PlannedMount[]): void {
  for (const m of mounts) {
    if (m.pointInside) continue;
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
