import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { runch, scratch } from '../helpers/fixtures.ts';
import { leftovers, rawTar, tool, type RawEntry } from './tools.ts';

/** Each hostile archive, through import-docker and through unpack (with its right digest): refused, nothing written. */
async function refuses(t: Tap.Test, dir: string, name: string, entries: RawEntry[], why: RegExp, options: { uid?: number } = {}) {
  const archive = join(dir, `${name}.tar`);
  writeFileSync(archive, rawTar(entries));
  chmodSync(archive, 0o644);
  const digest = `sha256:${createHash('sha256').update(rawTar(entries)).digest('hex')}`;
  for (const args of [['import-docker', archive], ['unpack', '--digest', digest, archive]]) {
    const target = join(dir, 'work', `${name}-${args[0]}`);
    const result = await tool('vzimage', [...args, target], options);
    t.equal(result.exitCode, 1, `${name} via ${args[0]}: refused`);
    t.match(result.stderr, why, `${name} via ${args[0]}: says why`);
    t.equal(result.stderr.trim().split('\n').length, 1, 'in one line');
    t.notOk(existsSync(target), 'no target');
    t.same(leftovers(join(dir, 'work')), [], 'no temp directory left');
  }
}

t.test('hostile tarballs are refused with a clear line and write nothing outside (or inside) the target', async (t) => {
  const dir = scratch(t);
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'work'));
  chmodSync(join(dir, 'work'), 0o777);
  const outside = join(dir, 'outside');
  mkdirSync(outside);
  await refuses(t, dir, 'dotdot', [{ path: 'ok.txt', body: 'fine' }, { path: '../outside/escaped.txt', body: 'pwned' }], /refused: entry "\.\.\/outside\/escaped\.txt" its path contains "\.\."/);
  await refuses(t, dir, 'dotdot-deep', [{ path: 'a/b/../../../outside/x', body: 'pwned' }], /its path contains "\.\."/);
  await refuses(t, dir, 'absolute', [{ path: `${outside}/abs.txt`, body: 'pwned' }], /refused: entry ".*\/outside\/abs\.txt" its path is absolute/);
  await refuses(t, dir, 'symlink-then-file', [
    { path: 'evil', type: 'SymbolicLink', linkpath: outside },
    { path: 'evil/through.txt', body: 'pwned' },
  ], /refused: entry "evil\/through\.txt" would be written through the symlink "evil"/);
  await refuses(t, dir, 'symlink-relative-out', [{ path: 'a/up', type: 'SymbolicLink', linkpath: '../../outside' }], /entry "a\/up" is a symlink to "\.\.\/\.\.\/outside", outside the archive's root/);
  await refuses(t, dir, 'dir-then-symlink', [
    { path: 'lib/', type: 'Directory' },
    { path: 'lib/x', body: 'x' },
    { path: 'lib', type: 'SymbolicLink', linkpath: outside },
  ], /turns a directory already holding entries into a symlink/);
  await refuses(t, dir, 'hardlink-out', [{ path: 'hl', type: 'Link', linkpath: '../outside/secret' }], /hard link target .* contains "\.\."/);
  await refuses(t, dir, 'hardlink-unknown', [{ path: 'hl', type: 'Link', linkpath: 'etc/shadow' }], /is a hard link to "etc\/shadow", which is not a file earlier in the archive/);
  await refuses(t, dir, 'device-not-root', [{ path: 'dev/', type: 'Directory' }, { path: 'dev/mem', type: 'CharacterDevice', mode: 0o600, devmaj: 1, devmin: 1 }], /entry "dev\/mem" is a device node; only root may create one/, { uid: 65534 });
  await refuses(t, dir, 'garbage', [], /holds no entries|not a readable tar archive/);
  t.same(readdirSync(outside), [], 'nothing was written outside');
});

t.test('as root, device nodes and fifos are created as the archive says', async (t) => {
  const dir = scratch(t);
  const archive = join(dir, 'dev.tar');
  writeFileSync(archive, rawTar([{ path: 'dev/', type: 'Directory' }, { path: 'dev/null', type: 'CharacterDevice', mode: 0o666, devmaj: 1, devmin: 3 }, { path: 'run.fifo', type: 'FIFO', mode: 0o600 }]));
  const result = await tool('vzimage', ['import-docker', archive, join(dir, 'r')]);
  t.equal(result.exitCode, 0, result.stderr);
  const dev = lstatSync(join(dir, 'r/dev/null'));
  t.ok(dev.isCharacterDevice());
  t.equal(dev.rdev, lstatSync('/dev/null').rdev, 'major 1, minor 3');
  t.equal(dev.mode & 0o777, 0o666);
  t.ok(lstatSync(join(dir, 'r/run.fifo')).isFIFO());
});

t.test('a docker-export-like tarball (GNU tar, absolute symlinks, hard links, .dockerenv) imports as a rootfs runch runs', async (t) => {
  const dir = scratch(t);
  const src = join(dir, 'container');
  for (const d of ['bin', 'etc', 'dev', 'proc', 'sys', 'usr/bin', 'var/empty']) mkdirSync(join(src, d), { recursive: true });
  writeFileSync(join(src, '.dockerenv'), '');
  await execa('cp', ['/bin/busybox', join(src, 'bin/busybox')]);
  await execa('ln', [join(src, 'bin/busybox'), join(src, 'usr/bin/env')]);
  for (const applet of ['sh', 'echo', 'cat', 'ls']) await execa('ln', ['-s', '/bin/busybox', join(src, 'bin', applet)]);
  writeFileSync(join(src, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(src, 'etc/motd'), 'imported from docker\n');
  for (const [flag, name] of [['-cf', 'export.tar'], ['-czf', 'export.tar.gz']]) {
    await execa('tar', ['--numeric-owner', flag, join(dir, name), '-C', src, '.']);
    const rootfs = join(dir, `${name}-bundle/rootfs`);
    const imported = await tool('vzimage', ['import-docker', join(dir, name), rootfs]);
    t.equal(imported.exitCode, 0, imported.stderr);
    t.equal(lstatSync(join(rootfs, 'usr/bin/env')).ino, lstatSync(join(rootfs, 'bin/busybox')).ino, 'hard link kept');
    const bundle = join(dir, `${name}-b2`);
    t.equal((await tool('vzimage', ['bundle', rootfs, bundle, '--args', 'sh', '-c', 'cat /etc/motd; ls -a / | grep -c dockerenv'])).exitCode, 0);
    const ran = await runch(join(dir, 'root'), ['run', '--bundle', bundle, `d-${basename(name).replace(/\./g, '-')}`]);
    t.equal(ran.exitCode, 0, ran.stderr);
    t.equal(ran.stdout, 'imported from docker\n1');
  }
});

t.test('issue 11: unpack of garbage, a corrupt gzip or onto a full disk says the real reason, not "EBADF: close"', async (t) => {
  const dir = scratch(t);
  chmodSync(dir, 0o755);
  const named = (body: Buffer, ext: string) => {
    const file = join(dir, `${createHash('sha256').update(body).digest('hex')}${ext}`);
    writeFileSync(file, body);
    return file;
  };
  const noise = Buffer.from(Buffer.alloc(6000).map((_, i) => (i * 7919) % 251));
  const cases: [string, string, RegExp][] = [
    ['garbage', named(noise, '.tar'), /is not a readable tar archive \(.+\): it is damaged or not a tarball/],
    ['corrupt gzip', named(Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), noise]), '.tar.gz'), /is not a readable tar archive \(.+\): it is damaged or not a tarball/],
  ];
  for (const [what, file, why] of cases) {
    const result = await tool('vzimage', ['unpack', file, join(dir, `out-${what.replace(' ', '-')}`)]);
    t.equal(result.exitCode, 1, `${what}: refused`);
    t.match(result.stderr, why, `${what}: the reason`);
    t.notMatch(result.stderr, /EBADF/, `${what}: not EBADF`);
    t.equal(result.stderr.trim().split('\n').length, 1, `${what}: one line`);
  }
  // A full disk: a 1 MiB tmpfs (in this test's own mount namespace: the suite runs under unshare --mount) and a
  // 3 MB image. The image is gzip of incompressible bytes, so it cannot fit.
  const bundle = join(dir, 'big');
  mkdirSync(join(bundle, 'rootfs'), { recursive: true });
  writeFileSync(join(bundle, 'rootfs/big'), Buffer.alloc(3_000_000).map((_, i) => (i * 2654435761) >>> 24));
  writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', root: { path: 'rootfs' }, process: { args: ['/big'], cwd: '/' } }));
  const packed = await tool('vzimage', ['pack', bundle, '-o', join(dir, 'images')]);
  t.equal(packed.exitCode, 0, packed.stderr);
  const image = readdirSync(join(dir, 'images')).find((name) => name.includes('.tar'))!;
  const small = join(dir, 'small');
  mkdirSync(small);
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]);
  t.teardown(() => execa('umount', [small], { reject: false }));
  const full = await tool('vzimage', ['unpack', join(dir, 'images', image), join(small, 'out')]);
  t.equal(full.exitCode, 1, 'full disk: refused');
  t.match(full.stderr, /the disk is full \(no space left on device\): free space under .*small and try again/);
  t.notMatch(full.stderr, /EBADF/);
  t.same(readdirSync(small), [], 'nothing half-unpacked is left');
});
