import { dirname } from 'node:path';
import type { ContainerSpec } from '../oci/load.ts';
import { OCI_VERSION } from '../state/store.ts';
import { hostBinary } from './hostbin.ts';
import { initCommand } from './launch.ts';
import { renderFstab } from './mounts.ts';
import { resolveInRoot } from './paths.ts';

/** A value as one word of sh: single quotes, a quote inside as '\''. Any byte but NUL survives (newlines too). */
export const shWord = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;

/**
 * A container, compiled for a start that needs neither config.json nor its validation: the fstab text, the
 * directories and files its mounts need on the host, and the one command that becomes it (its first process and
 * chain, see launch.ts). Pure: spec and paths in, data out. Every user of a compiled start shares it: init mode's sh
 * launcher, the supervisor, and `runch run`/`create` through the cached form (form.ts).
 */
export interface CompiledContainer {
  fstab: string;
  /** Mount points to exist before mount(8) runs (a file mount point as a file), and the cwd. */
  dirs: string[];
  files: string[];
  /** Exactly the program's environment (process.env of config.json). */
  env: Record<string, string>;
  /** The first process, exec'ing the chain at once: unshare --mount ... sh -c INIT_SCRIPT ... (needs env). */
  command: string[];
  /** The same, reporting "mounted" (or mount(8)'s error) on fd 3 before it execs: a start from Node. */
  reporting: string[];
  /** The same first process waiting on `fifo` for `runch start` (create); [] when no fifo was given. */
  waiting: string[];
  /** argv of the start from a shell: env -i K=V... then `command`. */
  argv: string[];
}

export function compileContainer(spec: ContainerSpec, opts: { fstab: string; mountNamespace: boolean; fifo?: string }): CompiledContainer {
  const command = initCommand(spec, { fstab: opts.fstab, fifo: '', mountNamespace: opts.mountNamespace });
  const reporting = initCommand(spec, { fstab: opts.fstab, fifo: '-', mountNamespace: opts.mountNamespace });
  const waiting = opts.fifo ? initCommand(spec, { fstab: opts.fstab, fifo: opts.fifo, mountNamespace: opts.mountNamespace }) : undefined;
  const dirs: string[] = [];
  const files: string[] = [];
  for (const m of spec.mounts) {
    if (m.pointInside) continue;
    if (m.targetIsFile) {
      dirs.push(dirname(m.target));
      files.push(m.target);
    } else dirs.push(m.target);
  }
  if (!spec.processAtStart) dirs.push(resolveInRoot(spec.rootfs, spec.cwd, 'process.cwd'));
  const env = Object.entries(command.env).map(([key, value]) => `${key}=${value}`);
  return {
    fstab: renderFstab(spec.rootfs, spec.readonly, spec.mounts),
    dirs: [...new Set(dirs)],
    files,
    env: command.env,
    command: [command.file, ...command.args],
    reporting: [reporting.file, ...reporting.args],
    waiting: waiting ? [waiting.file, ...waiting.args] : [],
    argv: [hostBinary('env', 'coreutils'), '-i', '--', ...env, command.file, ...command.args],
  };
}

/** The compiled start as sh text: every word quoted data, nothing evaluated. */
export function renderExec(compiled: CompiledContainer): string {
  return `exec ${compiled.argv.map(shWord).join(' ')}`;
}

/**
 * state.json (store.ts's format) around the three fields only the start knows (pid, startTime, created): the JSON
 * text before them and after them, for a launcher that writes the state without Node.
 */
export function stateJsonParts(spec: ContainerSpec, id: string, mountNamespace: boolean, annotations: Record<string, string>): [string, string] {
  const head = `{"ociVersion":${JSON.stringify(OCI_VERSION)},"id":${JSON.stringify(id)},"status":"created",`;
  const tail = [
    `"bundle":${JSON.stringify(spec.bundle)}`,
    `"rootfs":${JSON.stringify(spec.rootfs)}`,
    `"annotations":${JSON.stringify(annotations)}`,
    `"mountNamespace":${mountNamespace}`,
    `"hooks":${JSON.stringify(spec.hooks ?? {})}}`,
  ].join(',');
  return [head, tail];
}
