import { existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { VzError } from '../../base/errors.ts';
import { withLock } from '../../base/lock.ts';

/**
 * Root trees for lab hosts of other Debian releases and architectures: what newnode meets in the wild (another
 * glibc, python, sshd and init). Each is made once by mmdebstrap (minbase plus what a host needs), built beside its
 * final path and renamed into place, then shared read-only by every host of every lab as its overlay's lower layer.
 */
export const TREE_RELEASES = ['bullseye', 'bookworm', 'trixie'] as const;
export const TREE_ARCHES = ['amd64', 'i386'] as const;

/** What every tree holds beyond minbase: sshd, ansible's python, newnode's sudo, both inits a tree host can boot. */
const BASE_PACKAGES = ['openssh-server', 'python3', 'sudo', 'sysvinit-core', 'systemd', 'procps'];
/** An i386 host gets Debian's own i386 Node too (the machine's Node is amd64 and not on a tree host's PATH). */
const I386_PACKAGES = ['nodejs'];

export function treesDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.VZ_LAB_TREES ?? '/var/cache/vz-lab/trees';
}

/**
 * One word of --trees (or --release/--arch) -> a tree name "release-arch", or undefined for "machine" (the
 * machine's own /). "bullseye" means bullseye-amd64.
 */
export function parseTree(word: string, flag = '--trees'): string | undefined {
  if (word === 'machine') return undefined;
  const [release, arch = 'amd64', ...rest] = word.split('-');
  if (rest.length > 0 || !(TREE_RELEASES as readonly string[]).includes(release) || !(TREE_ARCHES as readonly string[]).includes(arch))
    throw new VzError('usage', `${flag}: ${JSON.stringify(word)} is not a tree: use machine, or RELEASE[-ARCH] with RELEASE one of ${TREE_RELEASES.join(', ')} and ARCH one of ${TREE_ARCHES.join(', ')} (e.g. bullseye, bookworm-i386)`);
  return `${release}-${arch}`;
}

export function treePath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = treesDir(env);
  // The path becomes an overlayfs lowerdir option, where "," and ":" separate values.
  if (/[,:\s\\]/.test(dir)) throw new VzError('usage', `VZ_LAB_TREES ${JSON.stringify(dir)} holds a character overlayfs options cannot carry (, : \\ or a space): choose another dir`);
  return join(dir, name);
}

export function treePackages(name: string): string[] {
  return name.endsWith('-i386') ? [...BASE_PACKAGES, ...I386_PACKAGES] : BASE_PACKAGES;
}

/**
 * The Debian mirror this machine's apt already uses, read from /etc/apt at run time (one-line sources and deb822
 * .sources files): the first "deb" source that is not a security archive. VZ_LAB_MIRROR overrides it.
 */
export function debianMirror(env: NodeJS.ProcessEnv = process.env, aptDir = '/etc/apt'): string {
  if (env.VZ_LAB_MIRROR) return env.VZ_LAB_MIRROR;
  const files = [join(aptDir, 'sources.list')];
  try {
    for (const name of readdirSync(join(aptDir, 'sources.list.d')).sort()) if (/\.(list|sources)$/.test(name)) files.push(join(aptDir, 'sources.list.d', name));
  } catch {
    // no sources.list.d
  }
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const uris = file.endsWith('.sources') ? deb822Uris(text) : oneLineUris(text);
    const mirror = uris.find((uri) => /^(https?|file):\/\/[^\s'"]+$/.test(uri) && !/security/.test(uri));
    if (mirror) return mirror;
  }
  throw new VzError('not-found', `no Debian mirror found in ${aptDir}/sources.list or sources.list.d: set VZ_LAB_MIRROR to one`);
}

function oneLineUris(text: string): string[] {
  return text.split('\n').map((line) => line.replace(/\[[^\]]*\]/, '').trim().split(/\s+/)).filter((f) => f[0] === 'deb' && f[1]).map((f) => f[1]);
}

function deb822Uris(text: string): string[] {
  return text
    .split(/\n\s*\n/)
    .filter((stanza) => /^Types:.*\bdeb\b/m.test(stanza) && !/^Enabled:\s*no/im.test(stanza))
    .flatMap((stanza) => (/^URIs:\s*(.+)$/m.exec(stanza)?.[1] ?? '').trim().split(/\s+/).filter(Boolean));
}

/**
 * The tree's path, built first when it is not cached yet (minutes, once per machine; `lab up` says so on stderr).
 * A lock per tree: two labs that need it at once build it once.
 */
export async function ensureTree(name: string, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<string> {
  const path = treePath(name);
  if (existsSync(join(path, 'usr', 'sbin', 'sshd'))) return path;
  const dir = treesDir();
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return withLock(join(dir, `.${name}`), `the tree ${name}`, async () => {
    if (existsSync(join(path, 'usr', 'sbin', 'sshd'))) return path;
    for (const tool of ['mmdebstrap', 'arch-test']) if (!(await execa('sh', ['-c', 'command -v "$1"', 'sh', tool], { reject: false })).stdout)
      throw new VzError('not-found', `lab host tree ${name} is not built and ${tool} is missing: run "bash .ci/run --setup-only" or apt-get install mmdebstrap arch-test`);
    const [release, arch] = name.split('-');
    const building = join(dir, `.build-${name}-${process.pid}`);
    const logPath = join(dir, `${name}.log`);
    rmSync(building, { recursive: true, force: true });
    log(`vzmaster lab: building the ${name} tree once (mmdebstrap, about a minute), cached in ${path}`);
    const fd = openSync(logPath, 'w');
    try {
      const args = ['--variant=minbase', `--arch=${arch}`, '--aptopt=Apt::Install-Recommends "false"', `--include=${treePackages(name).join(',')}`, release, building, debianMirror()];
      const run = await execa('mmdebstrap', args, { stdin: 'ignore', stdout: fd as 3, stderr: fd as 3, reject: false });
      if (run.exitCode !== 0) {
        rmSync(building, { recursive: true, force: true });
        const tail = readFileSync(logPath, 'utf8').trim().split('\n').slice(-1)[0] ?? '';
        throw new VzError('system', `building the ${name} tree failed (mmdebstrap exit ${run.exitCode}; ${logPath}): ${tail}`);
      }
    } finally {
      closeSync(fd);
    }
    renameSync(building, path);
    return path;
  }, 30 * 60_000);
}

const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

/**
 * One Debian package of a tree's release and architecture, as its .deb, fetched once into the trees dir
 * (debs/<tree>/): what a test puts into a bundle for such a host (an i386 busybox-static for the i386 host). Why a
 * private APT setup (its own sources, lists and cache, the tree's architecture): the machine's own sources, lists
 * and dpkg architectures stay untouched, and a cached tree is never changed under the labs that share it.
 */
export async function ensureTreeDeb(name: string, pkg: string, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<string> {
  if (!PACKAGE_NAME.test(pkg)) throw new VzError('usage', `package ${JSON.stringify(pkg)} is not a Debian package name`);
  const [release, arch] = name.split('-');
  const dir = join(treesDir(), 'debs', name);
  const cached = () => readdirSync(dir).find((f) => f.startsWith(`${pkg}_`) && (f.endsWith(`_${arch}.deb`) || f.endsWith('_all.deb')));
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const found = cached();
  if (found) return join(dir, found);
  return withLock(join(dir, `.${pkg}`), `the ${pkg} package of ${name}`, async () => {
    const again = cached();
    if (again) return join(dir, again);
    log(`vzmaster lab: fetching ${pkg} (${release}, ${arch}) once, cached in ${dir}`);
    const apt = join(dir, `.apt-${process.pid}`);
    try {
      mkdirSync(join(apt, 'lists', 'partial'), { recursive: true });
      mkdirSync(join(apt, 'cache', 'archives', 'partial'), { recursive: true });
      writeFileSync(join(apt, 'sources.list'), `deb [arch=${arch} signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${debianMirror()} ${release} main\n`);
      const options = [
        `Dir::Etc::sourcelist=${join(apt, 'sources.list')}`, 'Dir::Etc::sourceparts=-', `Dir::State::Lists=${join(apt, 'lists')}`,
        `Dir::Cache=${join(apt, 'cache')}`, 'Dir::State::status=/dev/null', `APT::Architecture=${arch}`, `APT::Architectures::=${arch}`, 'APT::Sandbox::User=root',
      ].flatMap((o) => ['-o', o]);
      const update = await execa('apt-get', [...options, '-qq', 'update'], { stdin: 'ignore', reject: false, all: true });
      if (update.exitCode !== 0) throw new VzError('system', `fetching ${pkg} for ${name}: apt-get update failed: ${String(update.all).trim().split('\n').slice(-1)[0]}`);
      const download = await execa('apt-get', [...options, '-qq', 'download', `${pkg}:${arch}`], { cwd: apt, stdin: 'ignore', reject: false, all: true });
      const deb = readdirSync(apt).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
      if (download.exitCode !== 0 || !deb) throw new VzError('system', `fetching ${pkg} for ${name}: apt-get download failed: ${String(download.all).trim().split('\n').slice(-1)[0]}`);
      renameSync(join(apt, deb), join(dir, deb));
      return join(dir, deb);
    } finally {
      rmSync(apt, { recursive: true, force: true });
    }
  }, 5 * 60_000);
}
