import { createHash } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { hasZstd } from '../../image/compression.ts';
import { manifestSchema } from '../../image/manifest.ts';
import { busyboxBundle, runch, scratch } from '../helpers/fixtures.ts';
import { leftovers, tool } from './tools.ts';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A busybox bundle with what a packer gets wrong: setuid, other owners, hard links, absolute symlinks, long names. */
function trickyBundle(dir: string): string {
  const bundle = busyboxBundle(dir, { args: ['sh', '-c', 'echo "hi from $(cat /srv/msg)"; ls -ln /srv | tail -n +2 | wc -l'] });
  const srv = join(bundle, 'rootfs/srv');
  mkdirSync(srv);
  writeFileSync(join(srv, 'msg'), 'the image');
  chownSync(join(srv, 'msg'), 1234, 4321);
  writeFileSync(join(srv, 'suid'), '#!/bin/sh\n');
  chmodSync(join(srv, 'suid'), 0o4755);
  linkSync(join(srv, 'msg'), join(srv, 'msg.hard'));
  symlinkSync('/bin/busybox', join(srv, 'abs-link'));
  const long = join(srv, 'd'.repeat(90), 'e'.repeat(90));
  mkdirSync(long, { recursive: true });
  writeFileSync(join(long, 'f'.repeat(120)), 'long');
  execFileSync('mknod', ['-m', '0666', join(bundle, 'rootfs/null'), 'c', '1', '3']);
  return bundle;
}

function tree(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const s = lstatSync(join(root, path));
    out.push(`${path} ${s.mode.toString(8)} ${s.uid}:${s.gid} ${s.isSymbolicLink() ? readlinkSync(join(root, path)) : s.isFile() ? `${s.size}/${s.nlink}/${Math.floor(s.mtimeMs / 1000)}` : ''}`);
    if (s.isDirectory()) out.push(...tree(root, path));
  }
  return out;
}

t.test('pack: a deterministic tarball named by its sha256, a valid manifest; unpack gives the same tree, which runch runs', async (t) => {
  const dir = scratch(t);
  const bundle = trickyBundle(join(dir, 'app'));
  const kinds = hasZstd() ? ['gzip', 'zstd', 'none'] : ['gzip', 'none'];
  for (const kind of kinds) {
    const packed = await tool('vzimage', ['pack', bundle, '-o', join(dir, 'images'), '--app', 'tricky', '--compress', kind]);
    t.equal(packed.exitCode, 0, packed.stderr);
    const image = packed.stdout.trim();
    const hex = sha256(image);
    t.equal(image, join(dir, 'images', `${hex}${{ gzip: '.tar.gz', zstd: '.tar.zst', none: '.tar' }[kind]}`), `${kind}: named by its sha256`);
    const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(dir, 'images', `${hex}.json`), 'utf8')));
    t.match(manifest, { app: 'tricky', digest: `sha256:${hex}`, compression: kind });
    readFileSync(join(bundle, 'rootfs/srv/msg')); // atime changes must not change the bytes
    const again = await tool('vzimage', ['pack', bundle, '-o', join(dir, 'again'), '--app', 'other', '--compress', kind]);
    t.equal(sha256(again.stdout.trim()), hex, `${kind}: packing the same tree again gives the same bytes`);
    const target = join(dir, `unpacked-${kind}`);
    const unpacked = await tool('vzimage', ['unpack', image, target]);
    t.equal(unpacked.exitCode, 0, unpacked.stderr);
    t.same(tree(target), tree(bundle), `${kind}: same modes (setuid too), owners, links, hard links, mtimes`);
  }
  t.equal(lstatSync(join(dir, 'unpacked-gzip/rootfs/srv/msg')).ino, lstatSync(join(dir, 'unpacked-gzip/rootfs/srv/msg.hard')).ino, 'a hard link stays one');
  t.equal(lstatSync(join(dir, 'unpacked-gzip/rootfs/null')).rdev, lstatSync('/dev/null').rdev, 'a device node keeps its numbers');
  t.same(leftovers(join(dir, 'images')), []);
  const plain = readdirSync(join(dir, 'images')).find((f) => f.endsWith('.tar')) as string;
  mkdirSync(join(dir, 'gnu'));
  execFileSync('tar', ['-xf', join(dir, 'images', plain), '-C', join(dir, 'gnu')]);
  t.same(tree(join(dir, 'gnu')), tree(bundle), 'GNU tar reads the image to the same tree (portable)');
  const ran = await runch(join(dir, 'root'), ['run', '--bundle', join(dir, 'unpacked-gzip'), 'img1']);
  t.equal(ran.exitCode, 0, ran.stderr);
  t.equal(ran.stdout, 'hi from the image\n5');
});

t.test('a corrupt image (digest mismatch) is refused with one line before anything is written', async (t) => {
  const dir = scratch(t);
  const bundle = busyboxBundle(join(dir, 'app'), { args: ['true'] });
  const image = (await tool('vzimage', ['pack', bundle, '-o', join(dir, 'images')])).stdout.trim();
  const bytes = readFileSync(image);
  bytes[Math.floor(bytes.length / 2)] ^= 0xff;
  writeFileSync(image, bytes);
  const refused = await tool('vzimage', ['unpack', image, join(dir, 'out')]);
  t.equal(refused.exitCode, 1);
  t.match(refused.stderr, /^vzimage: image .* is corrupt: its sha256 is [0-9a-f]{12}\.\.\., expected [0-9a-f]{12}\.\.\.: fetch or pack it again\n?$/);
  t.notOk(existsSync(join(dir, 'out')));
  t.same(leftovers(dir), []);
  copyFileSync(image, join(dir, 'renamed.tar.gz'));
  const unnamed = await tool('vzimage', ['unpack', join(dir, 'renamed.tar.gz'), join(dir, 'out')]);
  t.match(unnamed.stderr, /cannot verify .*renamed\.tar\.gz: its name is not its sha256 and no digest was given: pass --digest/);
  const wrong = await tool('vzimage', ['unpack', '--digest', `sha256:${'0'.repeat(64)}`, join(dir, 'renamed.tar.gz'), join(dir, 'out')]);
  t.match(wrong.stderr, /is corrupt/);
  t.notOk(existsSync(join(dir, 'out')));
});

t.test('pack refuses what is not a bundle, a bad app name and an unknown compression', async (t) => {
  const dir = scratch(t);
  mkdirSync(join(dir, 'empty'));
  t.match((await tool('vzimage', ['pack', join(dir, 'empty'), '-o', dir])).stderr, /is not a bundle \(config\.json and rootfs\/ are needed\)/);
  const bundle = busyboxBundle(join(dir, 'app'), { args: ['true'] });
  t.match((await tool('vzimage', ['pack', bundle, '--app', '../x'])).stderr, /app name "\.\.\/x" must be a name/);
  t.match((await tool('vzimage', ['pack', bundle, '--compress', 'bz2'])).stderr, /--compress "bz2" is unknown: use gzip, zstd, none/);
  t.match((await tool('vzimage', ['pack', bundle, '-o', join(bundle, 'rootfs/images')])).stderr, /is inside the bundle .*: the image would pack itself/);
  t.notOk(existsSync(join(bundle, 'rootfs/images')));
});
