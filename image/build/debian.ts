import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { VzError } from '../../base/errors.ts';

export interface Deb {
  /** The archive's file name, e.g. libc6_2.36-9+deb12u14_amd64.deb (epochs as %3a, as apt names it). */
  file: string;
  name: string;
  version: string;
  arch: string;
  size: number;
}

/**
 * apt options for a private state: an empty dpkg status, so apt resolves the packages' whole dependency closure as
 * for an empty root, and no locks, so the machine's own apt state is only read (its sources and package lists),
 * never written.
 */
function privateApt(state: string): string[] {
  writeFileSync(join(state, 'status'), '');
  return ['-o', `Dir::State::status=${join(state, 'status')}`, '-o', 'Debug::NoLocking=1', '-o', `Dir::Cache=${state}`, '-o', 'APT::Sandbox::User=root'];
}

/** apt's own resolver: `apt-get install --print-uris` over an empty status lists every package to fetch. */
export async function resolveDebs(packages: string[], recommends: boolean): Promise<Deb[]> {
  const state = mkdtempSync('/var/tmp/vz-apt-');
  try {
    const result = await execa('apt-get', [...privateApt(state), '-o', `APT::Install-Recommends=${recommends}`, 'install', '--print-uris', '-qq', '-y', ...packages], { reject: false, stdin: 'ignore', env: { LC_ALL: 'C' } });
    if (result.exitCode !== 0) {
      const line = String(result.stderr).split('\n').find((l) => l.startsWith('E:')) ?? String(result.stderr).split('\n')[0];
      throw new VzError('not-found', `apt cannot resolve ${packages.join(' ')}: ${line.replace(/^E: /, '')}: check the package names (apt-cache policy NAME) or run apt-get update`);
    }
    const debs: Deb[] = [];
    for (const line of String(result.stdout).split('\n')) {
      const m = /^'[^']+' (\S+\.deb) (\d+)/.exec(line);
      if (!m) continue;
      const [name, version, arch] = m[1].slice(0, -4).split('_');
      debs.push({ file: m[1], name, version: decodeURIComponent(version), arch, size: Number(m[2]) });
    }
    if (debs.length === 0) throw new VzError('not-found', `apt resolved nothing for ${packages.join(' ')}`);
    return debs.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

/**
 * Each .deb into the cache once (named as apt names it, so a version is never mistaken for another), fetched with
 * `apt-get download NAME:ARCH=VERSION`, which checks the archive's hash against the signed index.
 */
export async function fetchDebs(debs: Deb[], cache: string): Promise<string[]> {
  mkdirSync(cache, { recursive: true });
  const missing = debs.filter((d) => statSync(join(cache, d.file), { throwIfNoEntry: false })?.size !== d.size);
  if (missing.length > 0) {
    const state = mkdtempSync(join(cache, '.download-'));
    try {
      const specs = missing.map((d) => `${d.name}${d.arch === 'all' ? '' : `:${d.arch}`}=${d.version}`);
      const result = await execa('apt-get', [...privateApt(state), 'download', '-qq', ...specs], { cwd: state, reject: false, stdin: 'ignore', env: { LC_ALL: 'C' } });
      if (result.exitCode !== 0) throw new VzError('system', `apt-get download failed: ${String(result.stderr).split('\n').find((l) => l.startsWith('E:')) ?? result.stderr}: check the network and the apt sources`);
      for (const d of missing) {
        if (!existsSync(join(state, d.file))) throw new VzError('system', `apt-get download gave no ${d.file}`);
        renameSync(join(state, d.file), join(cache, d.file));
      }
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  }
  return debs.map((d) => join(cache, d.file));
}

/** `dpkg -x` of each .deb in name order (a file two packages ship: the later one's). Maintainer scripts are not run. */
export async function extractDebs(files: string[], root: string): Promise<void> {
  for (const file of files) await execa('dpkg-deb', ['-x', file, root], { stdin: 'ignore' });
}

export function cachedDebs(cache: string): string[] {
  return existsSync(cache) ? readdirSync(cache).filter((f) => f.endsWith('.deb')) : [];
}
