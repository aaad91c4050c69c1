import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { VzError } from '../base/errors.ts';
import { isElf, readElf } from './elf.ts';
import { sortMachineFiles } from './machine-files.ts';
import { readShebang } from './shebang.ts';
import { expandChains, sortPaths } from './spec.ts';
import { isDropped, pathsOfTrace, TRACED } from './strace-parse.ts';

export interface StraceResult {
  /** The spec: sorted paths with their symlink chains, runtime file systems and the build machine's own files dropped. */
  paths: string[];
  exitCode: number;
  /** The build machine's own files the command used, left out of the spec (machine-files.ts). */
  leftOut: { path: string; why: string }[];
  warnings: string[];
}

function isElfFile(path: string): boolean {
  try {
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(4);
      return readSync(fd, head, 0, 4, 0) === 4 && isElf(head);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/**
 * What the kernel itself loads on exec, which no syscall shows: a script's #! interpreters (nested) and each ELF's
 * loader (PT_INTERP).
 */
export function kernelLoads(exec: string): string[] {
  const out: string[] = [];
  let current: string | undefined = exec;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    const interp = readShebang(current);
    if (interp === undefined) {
      if (isElfFile(current)) {
        const loader = readElf(current).interp;
        if (loader) out.push(loader);
      }
      break;
    }
    out.push(interp);
    current = interp;
  }
  return out;
}

/** `strace-trace -- CMD...`: runs CMD under strace -f (its stdio is ours) and returns every path it used. */
export async function straceTrace(command: string[]): Promise<StraceResult> {
  if (command.length === 0) throw new VzError('usage', 'strace-trace needs a command: strace-trace [-o SPEC] -- CMD [ARG...]');
  const dir = mkdtempSync(join(tmpdir(), 'vz-strace-'));
  try {
    const trace = TRACED.map((s) => `?${s}`).join(',');
    const args = ['-f', '-ff', '-qq', '-z', '-y', '--seccomp-bpf', '-e', 'signal=none', '-e', `trace=${trace}`, '-o', join(dir, 't'), '--', ...command];
    const run = await execa('strace', args, { reject: false, stdio: 'inherit' });
    if (run.failed && run.exitCode === undefined) throw new VzError('system', `cannot run strace (${String(run.message ?? "").split('\n')[0]}): install strace`);
    const files = readdirSync(dir).filter((f) => f.startsWith('t.'));
    if (files.length === 0) throw new VzError('system', `strace traced nothing for "${command[0]}": is it a program on PATH?`);
    const found = new Set<string>();
    for (const file of files) {
      const { paths, execs } = pathsOfTrace(readFileSync(join(dir, file), 'utf8'), process.cwd());
      for (const p of paths) found.add(p);
      for (const e of execs) for (const p of kernelLoads(e)) found.add(p);
    }
    const { present } = expandChains([...found].filter((p) => !isDropped(p)));
    const sorted = sortMachineFiles(sortPaths(present.filter((p) => !isDropped(p))));
    return { paths: sorted.kept, exitCode: run.exitCode ?? 1, leftOut: sorted.leftOut, warnings: sorted.warnings };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
