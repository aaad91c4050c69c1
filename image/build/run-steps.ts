import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { VzError } from '../../base/errors.ts';
import { ARCH_CHROOT_MOUNTS, RESOLV_CONF, specTemplate } from '../../runch/oci/defaults.ts';
import type { OciConfig } from '../../runch/oci/schema.ts';

/** runch to run build steps with: given, VZ_RUNCH, the runch.cjs beside the running tool (dist/), else PATH's. */
export function findRunch(given?: string): string[] {
  const path = given ?? process.env.VZ_RUNCH ?? join(dirname(process.argv[1] ?? ''), 'runch.cjs');
  if (existsSync(path)) return path.endsWith('.cjs') || path.endsWith('.mjs') ? [process.execPath, path] : [path];
  return ['runch'];
}

/**
 * What a build step gets: runch's own template (the arch-chroot mounts: proc, sys, dev, a fresh tmpfs on /tmp and
 * /run, so nothing written there stays in the image), the host's resolv.conf bound read-only (the host network, as
 * runch has: a step may fetch), PATH and TERM plus the recipe's process env, root, cwd /.
 */
export function stepConfig(args: string[], env: string[]): OciConfig {
  const config = specTemplate(args);
  const keys = new Set(env.map((e) => e.slice(0, e.indexOf('='))));
  config.process.env = [...(config.process.env ?? []).filter((e) => !keys.has(e.slice(0, e.indexOf('=')))), ...env];
  config.mounts = [...ARCH_CHROOT_MOUNTS, RESOLV_CONF];
  config.process.noNewPrivileges = false; // a step may install setuid programs and run them
  return config;
}

function runOne(argv: string[]): Promise<number> {
  return new Promise<number>((resolveExit, reject) => {
    // plain fds, not pipes: the step's output goes straight to our stderr
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 2, 2] });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolveExit(code ?? (signal ? 128 : 1)));
  });
}

/**
 * The recipe's `run` steps, each under runch itself (`runch run` of the bundle being built, with a private state
 * root), in order; the first that fails stops the build with its exit code. The bundle's config.json is the step's
 * while it runs; the caller writes the final one after.
 */
export async function runSteps(bundle: string, steps: string[][], env: string[], runch: string[], log: (line: string) => void): Promise<void> {
  if (steps.length === 0) return;
  const state = mkdtempSync(join(dirname(bundle), '.vz-runch-'));
  try {
    for (const [i, step] of steps.entries()) {
      writeFileSync(join(bundle, 'config.json'), `${JSON.stringify(stepConfig(step, env), null, 2)}\n`);
      log(`run[${i}]: ${step.join(' ')}`);
      const code = await runOne([...runch, '--root', state, 'run', '--bundle', bundle, `vz-build-${process.pid}-${i}`]);
      if (code !== 0) throw new VzError('invalid-config', `recipe run[${i}] (${step.join(' ')}) exited ${code} inside the image: fix the command`);
    }
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}
