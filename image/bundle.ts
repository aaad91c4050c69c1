import { statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { VzError } from '../base/errors.ts';
import { specTemplate } from '../runch/oci/defaults.ts';
import { withRlimits } from '../runch/oci/rlimit-text.ts';
import { configSchema, type OciConfig, type Rlimit } from '../runch/oci/schema.ts';
import { symlinkChain } from './chain.ts';
import { stage } from './stage.ts';

export interface BundleOptions {
  args: string[];
  env?: string[];
  user?: { uid: number; gid: number };
  cwd?: string;
  /** Replace the template's rlimits of the same type (its default is 1024 open files). */
  rlimits?: Rlimit[];
}

/** Pure: runch's own `spec` template with the app's args, env (a key given twice: the last wins), user and cwd. */
export function bundleConfig(options: BundleOptions): OciConfig {
  if (options.args.length === 0) throw new VzError('usage', 'bundle needs the program to run: give it after --args (or --), e.g. --args /bin/ls -l');
  const config = specTemplate(options.args);
  for (const entry of options.env ?? []) {
    if (!/^[^=]+=/.test(entry)) throw new VzError('usage', `--env "${entry}" must be KEY=VALUE`);
    const key = entry.slice(0, entry.indexOf('=') + 1);
    config.process.env = [...(config.process.env ?? []).filter((e) => !e.startsWith(key)), entry];
  }
  if (options.user) config.process.user = { uid: options.user.uid, gid: options.user.gid };
  if (options.cwd !== undefined) config.process.cwd = options.cwd;
  if (options.rlimits?.length) config.process.rlimits = withRlimits(config.process.rlimits, options.rlimits);
  const checked = configSchema.safeParse(config);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new VzError('usage', `config.json ${issue.path.join('.')}: ${issue.message}`);
  }
  return config;
}

/** The program as the container will look it up: an absolute path, or the first match in the config's PATH. */
export function programInRootfs(rootfs: string, config: OciConfig): boolean {
  const program = config.process.args[0];
  const path = (config.process.env ?? []).find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/bin:/bin';
  const candidates = program.includes('/') ? [program.startsWith('/') ? program : `${config.process.cwd}/${program}`] : path.split(':').map((d) => `${d}/${program}`);
  return candidates.some((c) => symlinkChain(c, resolve(rootfs)) !== undefined);
}

/** `vzimage bundle`: a copy of the rootfs (owners, modes, links kept: cp -a) plus config.json, made atomically. */
export async function makeBundle(rootfs: string, outDir: string, options: BundleOptions): Promise<{ bundle: string; config: OciConfig }> {
  const config = bundleConfig(options);
  if (!statSync(rootfs, { throwIfNoEntry: false })?.isDirectory()) throw new VzError('not-found', `rootfs ${rootfs} does not exist: build one with ldd-trace or vzimage rootfs from-spec`);
  if (!programInRootfs(rootfs, config)) throw new VzError('not-found', `program "${config.process.args[0]}" is not in the rootfs ${rootfs}: add it (ldd-trace DIR PROG) or give its path inside the rootfs`);
  await stage(outDir, async (tmp) => {
    await execa('cp', ['-a', '--', rootfs, join(tmp, 'rootfs')], { stdin: 'ignore' });
    writeFileSync(join(tmp, 'config.json'), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o644 });
  });
  return { bundle: outDir, config };
}
