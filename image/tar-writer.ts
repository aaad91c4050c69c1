import { closeSync, lstatSync, openSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { Header, Pax } from 'tar';
import { VzError } from '../base/errors.ts';
import { fastHeaderFits, type HeaderFields, writeFastHeader } from './tar-header.ts';

const BATCH = 1024 * 1024;
const ZERO = Buffer.alloc(1024);

type EntryType = 'File' | 'Link' | 'Directory' | 'SymbolicLink' | 'CharacterDevice' | 'BlockDevice' | 'FIFO';
const FLAGS: Record<EntryType, string> = { File: '0', Link: '1', SymbolicLink: '2', CharacterDevice: '3', BlockDevice: '4', Directory: '5', FIFO: '6' };

function typeOf(stat: Stats): EntryType | undefined {
  if (stat.isFile()) return 'File';
  if (stat.isDirectory()) return 'Directory';
  if (stat.isSymbolicLink()) return 'SymbolicLink';
  if (stat.isCharacterDevice()) return 'CharacterDevice';
  if (stat.isBlockDevice()) return 'BlockDevice';
  if (stat.isFIFO()) return 'FIFO';
  return undefined; // a socket: a running program's, never part of an image
}

/**
 * The archive's bytes, in 1 MiB batches: headers written in place (tar-header.ts), or made by the tar package's
 * Header (and Pax) for long or non-ASCII names and big values; files read synchronously one after the other.
 * Why not node-tar's own Pack: it spends about 0.5 ms of JavaScript per entry and writes host-specific fields (user names, atime, ctime, inode) that break determinism.
 * Each entry holds mode (with setuid bits), numeric uid and gid, no names, mtime to the second (or `fixed`);
 * a second path to an inode already written becomes a hard link to the first.
 */
export async function* tarStream(root: string, paths: string[], fixed: Date | undefined, onBytes: (n: number) => void, stats?: Stats[]): AsyncGenerator<Buffer> {
  const inodes = new Map<string, string>();
  // one batch buffer, filled in place (headers copied in, file data read straight into it): no buffer per file and
  // no concat; a fresh one after each yield, as the consumer may still hold the last
  let batch = Buffer.allocUnsafe(BATCH);
  let held = 0;
  const room = (n: number): void => {
    if (held + n > batch.length) {
      const bigger = Buffer.allocUnsafe(Math.max(batch.length * 2, held + n));
      batch.copy(bigger, 0, 0, held);
      batch = bigger;
    }
  };
  const push = (buf: Buffer): void => {
    room(buf.length);
    buf.copy(batch, held);
    held += buf.length;
  };
  const flush = (): Buffer => {
    const out = batch.subarray(0, held);
    onBytes(held);
    batch = Buffer.allocUnsafe(BATCH);
    held = 0;
    return out;
  };
  for (const [i, rel] of paths.entries()) {
    const abs = join(root, rel);
    const stat = stats?.[i] ?? lstatSync(abs);
    let type = typeOf(stat);
    if (type === undefined) continue;
    let linkpath: string | undefined;
    if (type === 'SymbolicLink') linkpath = readlinkSync(abs);
    if (type === 'File' && stat.nlink > 1) {
      const key = `${stat.dev}:${stat.ino}`;
      linkpath = inodes.get(key);
      if (linkpath === undefined) inodes.set(key, rel);
      else type = 'Link';
    }
    const size = type === 'File' ? stat.size : 0;
    const path = type === 'Directory' ? `${rel}/` : rel;
    const mtime = fixed ?? new Date(Math.floor(stat.mtimeMs / 1000) * 1000);
    const device = type === 'CharacterDevice' || type === 'BlockDevice';
    const devmaj = device ? Number((BigInt(stat.rdev) >> 8n) & 0xfffn) | Number((BigInt(stat.rdev) >> 32n) & ~0xfffn) : 0;
    const devmin = device ? Number(BigInt(stat.rdev) & 0xffn) | Number((BigInt(stat.rdev) >> 12n) & ~0xffn) : 0;
    const fields: HeaderFields = { path, flag: FLAGS[type], linkpath, size, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid, mtime: mtime.getTime() / 1000, devmaj, devmin };
    if (fastHeaderFits(fields)) {
      room(512);
      writeFastHeader(batch, held, fields);
      held += 512;
    } else {
      const header = new Header({ path, type, linkpath, size, mtime, mode: fields.mode, uid: stat.uid, gid: stat.gid, uname: '', gname: '', devmaj, devmin });
      if (header.encode()) push(new Pax({ path, linkpath, size, mtime, uid: stat.uid, gid: stat.gid }).encode());
      push(header.block as Buffer);
    }
    if (type === 'File' && size > 0) {
      const fd = openSync(abs, 'r');
      try {
        for (let left = size; left > 0; ) {
          if (held === batch.length) yield flush();
          const n = readSync(fd, batch, held, Math.min(left, batch.length - held), null);
          if (n === 0) throw new VzError('system', `${rel} shrank while it was packed: pack again when nothing writes to the bundle`);
          held += n;
          left -= n;
        }
      } finally {
        closeSync(fd);
      }
      if (size % 512 !== 0) push(ZERO.subarray(0, 512 - (size % 512)));
    }
    if (held >= BATCH) yield flush();
  }
  push(ZERO);
  yield flush();
}
