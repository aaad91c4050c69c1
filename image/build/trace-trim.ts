import { mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, lstatSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { VzError } from '../../base/errors.ts';
import { symlinkChain } from '../chain.ts';
import { pathsOfTrace, TRACED } from '../strace-parse.ts';
import { kernelLoads } from '../strace-trace.ts';
import { walkSorted } from '../walk.ts';
import { stepConfig } from './run-steps.ts';

/** What an image keeps whatever the trace says: what runch mounts over and the files a program looks up by name. */
const ALWAYS = ['/dev', '/proc', '/sys', '/run', '/tmp', '/root', '/etc/passwd', '/etc/group', '/etc/nsswitch.conf', '/etc/hosts', '/etc/resolv.conf'];

/** An image path, from what strace printed: the chrooted process's own names, or host paths under the rootfs (-y). */
function imagePath(path: string, root: string): string {
  return path === root ? '/' : path.startsWith(`${root}/`) ? path.slice(root.length) : path;
}

/**
 * The recipe's `trim.trace`: the command runs in the image under runch, itself under `strace -f` (as strace-trace
 * runs a host command), and every file it did not touch is removed, except the program of `process.args`, the
 * recipe's own `files`, and ALWAYS. Each kept path keeps its whole symlink chain inside the image and its parents.
 * Returns how many entries were removed.
 */
export async function traceTrim(bundle: string, command: string[], env: string[], runch: string[], keepAlso: string[]): Promise<number> {
  const root = join(bundle, 'rootfs');
  const dir = mkdtempSync(join(dirname(bundle), '.vz-trace-'));
  try {
    writeFileSync(join(bundle, 'config.json'), `${JSON.stringify(stepConfig(command, env), null, 2)}\n`);
    const trace = TRACED.map((s) => `?${s}`).join(',');
    const args = ['-f', '-ff', '-qq', '-z', '-y', '--seccomp-bpf', '-e', 'signal=none', '-e', `trace=${trace}`, '-o', join(dir, 't'), '--', ...runch, '--root', join(dir, 'state'), 'run', '--bundle', bundle, `vz-trace-${process.pid}`];
    const run = await execa('strace', args, { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' });
    if (run.exitCode !== 0) throw new VzError('invalid-config', `recipe trim.trace (${command.join(' ')}) exited ${run.exitCode} inside the image: a failed run would trim what the program needs; fix the command (${String(run.stderr).split('\n').filter(Boolean).pop() ?? ''})`);
    const touched = new Set<string>();
    for (const file of readdirSync(dir).filter((f) => f.startsWith('t.'))) {
      const { paths, execs } = pathsOfTrace(readFileSync(join(dir, file), 'utf8'), '/');
      for (const p of paths) touched.add(imagePath(p, root));
      for (const e of execs) for (const p of kernelLoads(join(root, imagePath(e, root)))) touched.add(p);
    }
    const keep = new Set<string>(['']);
    const add = (path: string) => {
      for (const p of symlinkChain(path, root) ?? []) {
        for (let d = p; d !== '/' && d !== '.' && !keep.has(d.replace(/^\//, '')); d = dirname(d)) keep.add(d.replace(/^\//, ''));
      }
    };
    for (const p of [...touched, ...ALWAYS, ...keepAlso]) add(p);
    let removed = 0;
    const { paths } = walkSorted(root);
    for (const rel of paths) {
      if (keep.has(rel) || [...ALWAYS, ...keepAlso].some((k) => `/${rel}`.startsWith(`${k}/`))) continue;
      const stat = lstatSync(join(root, rel), { throwIfNoEntry: false });
      if (stat && !stat.isDirectory()) {
        rmSync(join(root, rel));
        removed++;
      }
    }
    for (const rel of [...paths].reverse()) {
      if (keep.has(rel)) continue;
      try {
        rmdirSync(join(root, rel));
        removed++;
      } catch {
        // not a directory, or not empty: kept
      }
    }
    return removed;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
