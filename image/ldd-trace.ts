import { VzError } from '../base/errors.ts';
import { isElf, readElf } from './elf.ts';
import { listLibraries } from './loader.ts';
import { nssModules, nssNeed, type NssNeed } from './nss.ts';
import { rootfsFromSpec } from './rootfs.ts';
import { envTarget, readShebang } from './shebang.ts';
import { writeSkeleton } from './skeleton.ts';
import { findProgram } from './which.ts';
import { closeSync, openSync, readSync } from 'node:fs';

export interface LddTraceOptions {
  /** 'auto' (default): NSS modules when a program imports a resolver or user lookup function. */
  nss?: 'auto' | 'yes' | 'no';
  user?: { name: string; uid: number; gid: number };
}

export interface LddTraceResult {
  /** The spec: every host path copied, with symlink chains, sorted. */
  paths: string[];
  machines: string[];
  nss: NssNeed;
  skeleton: string[];
}

function head(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64);
    return buf.subarray(0, readSync(fd, buf, 0, 64, 0));
  } finally {
    closeSync(fd);
  }
}

/** A program, its #! interpreter chain, its loader and shared libraries; the loader asked per ELF file. */
async function traceProgram(path: string, paths: Set<string>, machines: Set<string>, depth = 0): Promise<NssNeed> {
  if (depth > 4) throw new VzError('invalid-config', `${path}: too many nested #! interpreters`);
  paths.add(path);
  const interp = readShebang(path);
  if (interp !== undefined) {
    // #!/usr/bin/env perl: env, and the perl it finds (in our PATH, as env would in the container's)
    const viaEnv = envTarget(path);
    const needs = viaEnv === undefined ? 'none' : await traceProgram(findProgram(viaEnv), paths, machines, depth + 1);
    const own = await traceProgram(findProgram(interp), paths, machines, depth + 1);
    return needs === 'hosts' || own === 'hosts' ? 'hosts' : needs === 'users' || own === 'users' ? 'users' : 'none';
  }
  if (!isElf(head(path))) throw new VzError('invalid-config', `${path} is neither an ELF program nor a #! script: ldd-trace copies programs; use strace-trace for other files`);
  const elf = readElf(path);
  machines.add(elf.machine);
  if (elf.interp === undefined) return 'none'; // static: nothing else to copy
  paths.add(elf.interp);
  for (const lib of await listLibraries(elf.interp, path, elf.machine)) paths.add(lib);
  return nssNeed(elf.imports);
}

/** `ldd-trace DIR PROG...`: a minimal rootfs in dir for the programs; the spec is returned for writing. */
export async function lddTrace(dir: string, programs: string[], options: LddTraceOptions = {}): Promise<LddTraceResult> {
  if (programs.length === 0) throw new VzError('usage', 'ldd-trace needs at least one program: ldd-trace DIR PROG...');
  const paths = new Set<string>();
  const machines = new Set<string>();
  let need: NssNeed = 'none';
  for (const name of programs) {
    const found = await traceProgram(findProgram(name), paths, machines);
    if (found === 'hosts' || (found === 'users' && need === 'none')) need = found;
  }
  if (options.nss === 'yes') need = 'hosts';
  if (options.nss === 'no') need = 'none';
  for (const module of nssModules([...paths], need)) {
    paths.add(module);
    const elf = readElf(module);
    if (elf.interp === undefined) {
      // a shared library has no PT_INTERP: ask the loader of the programs (same libc directory, same machine)
      const loader = [...paths].find((p) => /\/ld-(linux|musl)[^/]*\.so/.test(p));
      if (loader) for (const lib of await listLibraries(loader, module, elf.machine)) paths.add(lib);
    }
  }
  let skeleton: string[] = [];
  const result = await rootfsFromSpec([...paths], dir, (tmp) => {
    skeleton = writeSkeleton(tmp, { user: options.user, nss: need !== 'none' });
  });
  return { paths: result.paths, machines: [...machines], nss: need, skeleton };
}
