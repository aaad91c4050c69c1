import { chmodSync, copyFileSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';

const isRoot = process.getuid?.() === 0;

function meta(target: string, stat: Stats): void {
  if (isRoot) lchownSync(target, stat.uid, stat.gid);
  if (!stat.isSymbolicLink()) chmodSync(target, stat.mode & 0o7777);
  lutimesSync(target, stat.atime, stat.mtime);
}

/** Whiteouts of the OCI image spec (layer.md): `.wh.NAME` deletes NAME below; `.wh..wh..opq` empties its directory. */
export const WHITEOUT = '.wh.';
export const OPAQUE = '.wh..wh..opq';

/**
 * One tree over another the way an overlay shows an upper layer over a lower one, never through a symlink: an entry
 * of `upper` replaces what `lower` has at its path (a directory over a non-directory replaces it, a non-directory
 * over anything replaces it; directories merge). Why not `cp -a`: cp writes through a symlink it finds at the
 * destination, and an absolute symlink of an image (`/etc/foo -> /etc/passwd`) would then point at the build
 * machine's own files. With `whiteouts`, `.wh.` entries delete from lower and are not copied (a layer of an image);
 * without, they are ordinary names. Hard links inside upper are kept as hard links.
 */
export async function mergeOver(upper: string, lower: string, whiteouts = false): Promise<void> {
  const links = new Map<string, string>();
  const dirs: [string, Stats][] = [];
  const visit = async (rel: string): Promise<void> => {
    const names = readdirSync(join(upper, rel)).sort();
    if (whiteouts) {
      if (names.includes(OPAQUE)) for (const name of readdirSync(join(lower, rel))) rmSync(join(lower, rel, name), { recursive: true, force: true });
      for (const name of names)
        if (name.startsWith(WHITEOUT) && name !== OPAQUE) rmSync(join(lower, rel, name.slice(WHITEOUT.length)), { recursive: true, force: true });
    }
    for (const name of names) {
      if (whiteouts && name.startsWith(WHITEOUT)) continue;
      const path = rel === '' ? name : `${rel}/${name}`;
      const from = join(upper, path);
      const to = join(lower, path);
      const stat = lstatSync(from);
      const there = lstatSync(to, { throwIfNoEntry: false });
      if (stat.isDirectory()) {
        if (there && !there.isDirectory()) rmSync(to, { force: true });
        if (!there || !there.isDirectory()) mkdirSync(to);
        dirs.push([to, stat]);
        await visit(path);
        continue;
      }
      if (there) rmSync(to, { recursive: true, force: true });
      const key = `${stat.dev}:${stat.ino}`;
      if (stat.isFile() && stat.nlink > 1 && links.has(key)) {
        linkSync(links.get(key) as string, to);
        continue;
      }
      if (stat.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
      else if (stat.isFile()) copyFileSync(from, to);
      else if (stat.isCharacterDevice() || stat.isBlockDevice() || stat.isFIFO()) {
        const kind = stat.isFIFO() ? ['p'] : [stat.isCharacterDevice() ? 'c' : 'b', String(Math.floor(stat.rdev / 256) & 0xfff), String(stat.rdev & 0xff)];
        await execa('mknod', ['--', to, ...kind]);
      } else continue; // a socket: never part of an image
      if (stat.isFile() && stat.nlink > 1) links.set(key, to);
      meta(to, stat);
    }
  };
  await visit('');
  // directory metadata last, deepest first: adding entries changes a directory's mtime
  for (const [to, stat] of dirs.reverse()) meta(to, stat);
}
