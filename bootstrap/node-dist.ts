import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as tar from 'tar';
import { VzError } from '../base/errors.ts';
import { nodeIsRecentEnough } from './probe.ts';

/** A Node build to install on a host, and how its archive unpacks. */
export interface NodeDist {
  file: string;
  version: string;
  /** 1 for Node's own release tarballs (node-vX-linux-ARCH/bin/node), 0 for the one made here (bin/node). */
  stripComponents: number;
}

/** `uname -m` names for Node's architecture names (process.arch, and the suffix of Node's release tarballs). */
const UNAME_NAMES: Record<string, string[]> = {
  x64: ['x86_64', 'amd64'],
  arm64: ['aarch64', 'arm64'],
  armv7l: ['armv7l'],
  arm: ['armv7l', 'armv6l'],
  ppc64le: ['ppc64le'],
  ppc64: ['ppc64le'],
  s390x: ['s390x'],
  // 32-bit x86: process.arch says ia32, Node's (unofficial) release tarballs say x86; the kernel says i686 (or i386/i586).
  ia32: ['i686', 'i586', 'i386'],
  x86: ['i686', 'i586', 'i386'],
};

/** The suffix of Node's linux tarball for a `uname -m`, for the hint in a refusal. */
function tarballArch(unameArch: string): string {
  if (unameArch === 'x86_64') return 'x64';
  if (/^i[3-6]86$/.test(unameArch)) return 'x86';
  if (unameArch === 'aarch64') return 'arm64';
  return unameArch;
}

function archMatches(nodeArch: string, unameArch: string): boolean {
  return (UNAME_NAMES[nodeArch] ?? [nodeArch]).includes(unameArch);
}

/**
 * Where a host gets Node: /usr/local, as Node's own install notes do (bin/node lands on /usr/local/bin/node). Why not
 * a directory per version: sysvinit's process field holds at most 127 characters, and init's lines name node by
 * its real path, so the path must stay short.
 */
export const HOST_NODE_PREFIX = '/usr/local';

const RELEASE_NAME = /^node-(v\d+\.\d+\.\d+)-linux-([a-z0-9]+)\.tar\.(gz|xz)$/;

/**
 * The Node a host of this architecture gets. Why the master's own Node by default: hosts may have no way to the
 * internet's Node mirrors, and the master already runs a Node vz supports; a host of another architecture needs
 * Node's own release tarball for it (--node-dist).
 */
export async function nodeDistFor(hostArch: string, options: { distFile?: string; cacheDir: string; hostNode?: string }): Promise<NodeDist> {
  if (options.distFile) {
    const match = RELEASE_NAME.exec(basename(options.distFile));
    if (!match) throw new VzError('usage', `--node-dist ${JSON.stringify(options.distFile)} is not named like Node's release tarballs (node-v24.11.1-linux-x64.tar.xz)`);
    if (!existsSync(options.distFile)) throw new VzError('not-found', `--node-dist ${options.distFile} does not exist`);
    const [, version, arch] = match;
    if (!nodeIsRecentEnough(version)) throw new VzError('usage', `--node-dist ${basename(options.distFile)} is Node ${version}: vz needs 18.19 or later`);
    if (!archMatches(arch, hostArch)) throw new VzError('usage', `--node-dist ${basename(options.distFile)} is for ${arch}, the host is ${hostArch}: use the linux-${tarballArch(hostArch)} tarball`);
    return { file: options.distFile, version, stripComponents: 1 };
  }
  if (!archMatches(process.arch, hostArch)) {
    // Node has no official 32-bit x86 build: there, the distribution's nodejs (Debian 12's is 18.19+) is the way.
    const found = options.hostNode === undefined || options.hostNode === 'none' ? 'no Node' : `Node ${options.hostNode}`;
    const distro = tarballArch(hostArch) === 'x86' ? "install the distribution's nodejs there (Debian 12: apt-get install nodejs) or " : '';
    throw new VzError('usage', `the host is ${hostArch} with ${found} (vz needs 18.19 or later) and this vzmaster's Node is ${process.arch}: ${distro}pass --node-dist with Node's linux-${tarballArch(hostArch)} tarball`);
  }
  return { file: await ownNodeArchive(options.cacheDir), version: process.version, stripComponents: 0 };
}

/** This Node's binary as bin/node in a tar.gz, made once per version in the cache (temp file + rename). */
async function ownNodeArchive(cacheDir: string): Promise<string> {
  const file = join(cacheDir, `node-${process.version}-linux-${process.arch}.tar.gz`);
  if (existsSync(file)) return file;
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  const binDir = dirname(process.execPath);
  if (basename(process.execPath) !== 'node') throw new VzError('usage', `this vzmaster runs on ${process.execPath}, not a binary named node: pass --node-dist with Node's linux tarball`);
  try {
    // tar stores paths as given below cwd: "bin/node" from the parent of an installed Node's bin directory.
    const inBin = basename(binDir) === 'bin';
    await tar.create({ gzip: true, file: temp, cwd: inBin ? dirname(binDir) : binDir, portable: true, prefix: inBin ? undefined : 'bin' }, [inBin ? 'bin/node' : 'node']);
    renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
  return file;
}
