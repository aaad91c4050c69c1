import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import t from 'tap';
import { VzError } from '../../base/errors.ts';
import { decodeDelta, deltaName, encodeDelta, makeDelta, rebuildImage } from '../../image/delta/index.ts';
import { pack } from '../../image/pack.ts';
import { scratch } from '../helpers/fixtures.ts';

const EPOCH = new Date('2026-01-01T00:00:00Z');

/** A bundle of `files` random files of `size` bytes each (random: gzip cannot hide a delta that sends too much). */
function bundle(dir: string, files: number, size: number, big = 0): string {
  mkdirSync(join(dir, 'rootfs/srv'), { recursive: true });
  writeFileSync(join(dir, 'config.json'), '{"ociVersion":"1.0.2","process":{"args":["/bin/true"]},"root":{"path":"rootfs"}}\n');
  for (let i = 0; i < files; i++) writeFileSync(join(dir, `rootfs/srv/f${String(i).padStart(4, '0')}`), randomBytes(size));
  if (big > 0) writeFileSync(join(dir, 'rootfs/srv/big'), randomBytes(big));
  return dir;
}

async function packed(dir: string, out: string): Promise<string> {
  return (await pack(dir, out, { app: 'd', mtime: EPOCH })).path;
}

const refused = async (t: Tap.Test, what: Promise<unknown>, pattern: RegExp, name: string): Promise<void> => {
  const error = await what.then(() => undefined, (e: unknown) => e);
  t.ok(error instanceof VzError, `${name}: a VzError`);
  t.match((error as Error).message, pattern, name);
  t.notMatch((error as Error).message, /\n/, `${name}: one line`);
};

t.test('a delta rebuilds the new image byte for byte, and sends about what changed', async (t) => {
  const dir = scratch(t);
  const src = bundle(join(dir, 'b'), 300, 4096, 1 << 20);
  const base = await packed(src, join(dir, 'v1'));
  writeFileSync(join(src, 'rootfs/srv/f0007'), randomBytes(10 << 10)); // one changed 10 KiB file
  const big = readFileSync(join(src, 'rootfs/srv/big'));
  randomBytes(100).copy(big, 500_000); // 100 bytes changed inside a 1 MiB file: chunk-level
  writeFileSync(join(src, 'rootfs/srv/big'), big);
  const target = await packed(src, join(dir, 'v2'));
  const { data, stats } = await makeDelta(base, target);
  // The 10 KiB file, and of the 1 MiB file at most the chunk holding the edit and the next (each at most 64 KiB,
  // about 8 KiB on average) before the cuts agree again: never the whole file.
  t.ok(data.length < (10 + 2 * 64 + 4) << 10, `the delta is ${data.length} bytes for 10 KiB + 100 bytes changed (of ${readFileSync(target).length})`);
  t.ok(stats.literal < (10 + 2 * 64 + 4) << 10, `literal ${stats.literal}`);
  const host = join(dir, 'host');
  mkdirSync(host);
  const hostBase = join(host, base.split('/').pop()!);
  writeFileSync(hostBase, readFileSync(base));
  const deltaFile = join(host, deltaName(base, target));
  writeFileSync(deltaFile, data);
  const { path } = await rebuildImage(hostBase, deltaFile, host, target.split('/').pop());
  t.same(readFileSync(path), readFileSync(target), 'byte-identical to the full image');
  t.same(readdirSync(host).filter((n) => n.startsWith('.vz-delta')), [], 'no temporary file left');
});

t.test('a corrupt, wrong or hostile delta is refused in one line and writes nothing', async (t) => {
  const dir = scratch(t);
  const src = bundle(join(dir, 'b'), 20, 2048);
  const base = await packed(src, join(dir, 'v1'));
  writeFileSync(join(src, 'rootfs/srv/f0003'), randomBytes(3000));
  const target = await packed(src, join(dir, 'v2'));
  const targetName = target.split('/').pop()!;
  const { data, header } = await makeDelta(base, target);
  const raw = gunzipSync(data);
  const headerLen = raw.readUInt32BE(0);
  const host = join(dir, 'host');
  mkdirSync(host);
  const hostBase = join(host, base.split('/').pop()!);
  writeFileSync(hostBase, readFileSync(base));
  const tryDelta = async (bytes: Buffer, name: string, pattern: RegExp, expected = targetName): Promise<void> => {
    const file = join(host, deltaName(base, target));
    writeFileSync(file, bytes);
    await refused(t, rebuildImage(hostBase, file, host, expected), pattern, name);
    t.notOk(existsSync(join(host, targetName)), `${name}: no target written`);
    t.same(readdirSync(host).filter((n) => n.startsWith('.vz-delta')), [], `${name}: no temporary file left`);
  };
  // A flipped literal byte: the tar's digest catches it before the image is named.
  const flipped = Buffer.from(raw);
  flipped[flipped.length - 100] ^= 0xff;
  await tryDelta(gzipSync(flipped), 'a flipped literal byte', /rebuilds a tar whose sha256 is .*corrupt, refused/);
  await tryDelta(data.subarray(0, data.length - 20), 'a truncated file', /corrupt or oversize|truncated/);
  await tryDelta(Buffer.from('not a delta'), 'not gzip', /corrupt or oversize/);
  const withHeader = (h: unknown, literals = raw.subarray(4 + headerLen)): Buffer => {
    const json = Buffer.from(JSON.stringify(h));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(json.length);
    return gzipSync(Buffer.concat([len, json, literals]));
  };
  // Oversize and out-of-range entries: refused by the header's checks before anything is read or written.
  await tryDelta(withHeader({ ...header, ops: [['b', header.baseTarSize - 10, 1 << 20], ...header.ops.slice(1)] }), 'a base range past the base', /outside the base|ops make/);
  await tryDelta(withHeader({ ...header, targetTarSize: 2 ** 40 }), 'an oversize target', /targetTarSize|ops make/);
  await tryDelta(withHeader({ ...header, ops: [['l', 2 ** 31], ...header.ops] }), 'an oversize literal', /literal|ops make/);
  await tryDelta(withHeader({ ...header, ops: [['b', -512, 512], ...header.ops] }), 'a negative offset', /ops\.0/);
  await tryDelta(withHeader({ ...header, extra: '../../etc/passwd' }), 'an unknown header field', /Unrecognized key|header field/);
  await tryDelta(withHeader({ ...header, target: '../../../etc/cron.d/x'.padEnd(64, 'a') }), 'a target name that is a path', /header field target/);
  // A delta for another target than the one asked for, or against another base.
  await tryDelta(data, 'another target than asked', /rebuilds .* not /, `${'0'.repeat(64)}.tar.gz`);
  await tryDelta(withHeader({ ...header, base: 'f'.repeat(64) }), 'another base', /is against base/);
  // A base that is corrupt on the host is never used.
  appendFileSync(hostBase, 'x');
  await tryDelta(data, 'a corrupt base on the host', /base image .* is corrupt here/);
});

t.test('a delta whose entries would make a tar that escapes the bundle cannot pass the digest', async (t) => {
  const dir = scratch(t);
  const src = bundle(join(dir, 'b'), 4, 1024);
  const base = await packed(src, join(dir, 'v1'));
  writeFileSync(join(src, 'rootfs/srv/f0001'), randomBytes(1024));
  const target = await packed(src, join(dir, 'v2'));
  const { header } = await makeDelta(base, target);
  // A literal tar header naming ../../etc/evil, in place of the rebuilt target's: the tar's digest differs, refused.
  const evil = Buffer.alloc(512);
  evil.write('../../etc/evil', 0);
  evil.write('0000644\0', 100);
  evil.write('00000000000\0', 124);
  const ops = [['l', 512], ['b', 0, header.targetTarSize - 512]] as const;
  const file = join(dir, 'evil.vzdelta');
  writeFileSync(file, encodeDelta({ ...header, ops: ops as never }, [evil]));
  await refused(t, rebuildImage(base, file, dir), /corrupt, refused/, 'an escaping entry');
  t.throws(() => decodeDelta(encodeDelta({ ...header, ops: ops as never }, []), 'x'), /literal bytes/, 'literals missing');
});
