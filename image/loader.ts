import { execa } from 'execa';
import { VzError } from '../base/errors.ts';

/**
 * Pure: the library paths in a loader's `--list` output (what ldd prints). linux-vdso and other entries without a
 * file are skipped; "not found" becomes an error naming the library.
 */
export function parseLoaderList(output: string, program: string): string[] {
  const paths: string[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === '' || /statically linked|not a dynamic executable/.test(line)) continue;
    const arrow = /^(\S+) => (.*)$/.exec(line);
    if (arrow) {
      if (arrow[2].startsWith('not found')) throw new VzError('not-found', `${program} needs ${arrow[1]}, which the loader cannot find: install it or set LD_LIBRARY_PATH`);
      const path = /^(\/.*?)\s+\(0x[0-9a-f]+\)$/.exec(arrow[2])?.[1] ?? (arrow[2].startsWith('/') ? arrow[2] : undefined);
      if (path) paths.push(path);
      continue;
    }
    const bare = /^(\/.*?)\s+\(0x[0-9a-f]+\)$/.exec(line);
    if (bare) paths.push(bare[1]);
  }
  return paths;
}

/**
 * The shared libraries of an ELF file, asked of its own loader (PT_INTERP) with `--list`, which is what ldd does
 * for glibc and musl alike; ldd's own fixed list of loader names is what made the seed's tool i686-only.
 */
export async function listLibraries(interp: string, program: string, machine: string): Promise<string[]> {
  const result = await execa(interp, ['--list', program], {
    reject: false,
    extendEnv: false,
    env: { PATH: '/usr/bin:/bin', ...(process.env.LD_LIBRARY_PATH ? { LD_LIBRARY_PATH: process.env.LD_LIBRARY_PATH } : {}) },
    stdin: 'ignore',
  });
  if (result.failed && result.stdout === '') {
    const why = String(result.stderr || result.message).split('\n')[0];
    throw new VzError('system', `cannot list the libraries of ${program} (${machine}) with its loader ${interp}: ${why}; trace it on a ${machine} machine`);
  }
  return parseLoaderList(result.stdout, program);
}
