import { appendFileSync, chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { execa } from 'execa';
import { renderInittab, renderSshdConfig } from './inittab.ts';
import { hostPaths, type LabPaths } from './paths.ts';
import type { LabHost } from './state.ts';
import { ownRoot, prepareRootHostDir } from './root-host.ts';

/**
 * A host's private files, made once at `lab up` and kept across stop-host/start-host (a VPS keeps its disk):
 * a copy of the machine's /etc with its own host key, sshd_config, inittab and hostname; a fresh /root holding
 * only the lab's public key; empty /var/lib/vz, /var/log and /home. Directories only: a bind-mounted single file breaks
 * every rename-based write (ansible's modules included).
 */
export async function prepareHostDir(paths: LabPaths, host: LabHost, publicKey: string): Promise<void> {
  if (ownRoot(host)) return prepareRootHostDir(paths, host, publicKey);
  const dirs = hostPaths(paths, host.name);
  mkdirSync(dirs.base, { recursive: true, mode: 0o700 });
  await execa('cp', ['-a', '--', '/etc', dirs.etc], { stdin: 'ignore' });
  const ssh = join(dirs.etc, 'ssh');
  mkdirSync(ssh, { recursive: true });
  for (const kind of ['rsa', 'ecdsa', 'ed25519', 'dsa']) {
    rmSync(join(ssh, `ssh_host_${kind}_key`), { force: true });
    rmSync(join(ssh, `ssh_host_${kind}_key.pub`), { force: true });
  }
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${host.name}`, '-f', join(ssh, 'ssh_host_ed25519_key')], { stdin: 'ignore' });
  writeFileSync(join(ssh, 'sshd_config'), renderSshdConfig(host.fresh));
  writeFileSync(join(dirs.etc, 'inittab'), renderInittab(host.init, host.address, host.port));
  writeFileSync(join(dirs.etc, 'hostname'), `${host.name}\n`);
  // As on a VPS, the host's own name resolves (sudo warns on every call otherwise).
  appendFileSync(join(dirs.etc, 'hosts'), `${host.address}\t${host.name}\n`);
  mkdirSync(join(dirs.root, '.ssh'), { recursive: true, mode: 0o700 });
  chmodSync(dirs.root, 0o700);
  for (const dotfile of ['.profile', '.bashrc']) if (existsSync(join('/etc/skel', dotfile))) copyFileSync(join('/etc/skel', dotfile), join(dirs.root, dotfile));
  mkdirSync(dirs.vz, { recursive: true, mode: 0o755 });
  mkdirSync(dirs.log, { recursive: true, mode: 0o755 });
  // Its own /home: accounts made on the host (newnode's user) must not land in the machine's /home.
  mkdirSync(dirs.home, { recursive: true, mode: 0o755 });
  if (host.fresh) await freshRoot(dirs);
  else writeFileSync(join(dirs.root, '.ssh', 'authorized_keys'), publicKey, { mode: 0o600 });
}

/**
 * A fresh VPS as a vendor hands it over: root has a password (random, kept in the host dir for the operator and
 * the tests) and no authorized key; /usr/local is the host's own and empty, so the machine's Node >= 22.15 there is
 * not on the host's PATH. The password is set by the real chpasswd, inside a private mount namespace where the
 * host's /etc copy is bound on /etc: the machine's own /etc is never touched.
 */
async function freshRoot(dirs: ReturnType<typeof hostPaths>): Promise<void> {
  const password = randomBytes(15).toString('base64url');
  writeFileSync(dirs.rootPassword, `${password}\n`, { mode: 0o600 });
  await execa('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$1" /etc && chpasswd -c SHA512', 'vz-lab-passwd', dirs.etc], { input: `root:${password}\n` });
  for (const sub of ['bin', 'sbin', 'lib', 'share', 'include', 'etc', 'src']) mkdirSync(join(dirs.usrLocal, sub), { recursive: true, mode: 0o755 });
}

/** The lab's key pair (ed25519, no passphrase), made once per lab. */
export async function makeLabKey(paths: LabPaths): Promise<string> {
  mkdirSync(paths.ssh, { recursive: true, mode: 0o700 });
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'vz-lab', '-f', paths.key], { stdin: 'ignore' });
  return readFileSync(`${paths.key}.pub`, 'utf8');
}
