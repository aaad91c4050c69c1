import { dirname } from 'node:path';
import type { ContainerSpec } from '../oci/load.ts';
import { hostBinary } from './hostbin.ts';
import { initCommand } from './launch.ts';
import { renderFstab } from './mounts.ts';
import { resolveInRoot } from './paths.ts';

/** A value as one word of sh: single quotes, a quote inside as '\''. Any byte but NUL survives (newlines too). */
export const shWord = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;

/**
 * A container, compiled for a start that needs no Node: the fstab text, the directories and files its mounts need
 * on the host, and the one command that becomes it (`env -i` with exactly process.env, then the first process and
 * its chain, see launch.ts). Pure: spec and paths in, data out.
 */
export interface CompiledContainer {
  fstab: string;
  /** Mount points to exist before mount(8) runs (a file mount point as a file), and the cwd. */
  dirs: string[];
  files: string[];
  /** argv of the start: env -i K=V... then the first process (unshare --mount ... sh -c INIT_SCRIPT ...). */
  argv: string[];
}

export function compileContainer(spec: ContainerSpec, opts: { fstab: string; mountNamespace: boolean }): CompiledContainer {
  const command = initCommand(spec, { fstab: opts.fstab, fifo: '', mountNamespace: opts.mountNamespace });
  const dirs: string[] = [];
  const files: string[] = [];
  for (const m of spec.mounts) {
    if (m.pointInside) continue;
    if (m.targetIsFile) {
      dirs.push(dirname(m.target));
      files.push(m.target);
    } else dirs.push(m.target);
  }
  dirs.push(resolveInRoot(spec.rootfs, spec.cwd, 'process.cwd'));
  const env = Object.entries(command.env).map(([key, value]) => `${key}=${value}`);
  return {
    fstab: renderFstab(spec.rootfs, spec.readonly, spec.mounts),
    dirs: [...new Set(dirs)],
    files,
    argv: [hostBinary('env', 'coreutils'), '-i', '--', ...env, command.file, ...command.args],
  };
}

/** The compiled start as sh text: every word quoted data, nothing evaluated. */
export function renderExec(compiled: CompiledContainer): string {
  return `exec ${compiled.argv.map(shWord).join(' ')}`;
}
