import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { busyboxBundle, scratch } from '../helpers/fixtures.ts';
import { startLab, vzmaster } from '../helpers/lab.ts';

const VZIMAGE = resolve(import.meta.dirname, '../../dist/vzimage.cjs');

/** A busybox app that prints its version file, with 40 random 16 KiB files beside it (about 1 MiB that gzip cannot shrink). */
function appBundle(dir: string): string {
  const bundle = busyboxBundle(join(dir, 'app'), { args: ['sh', '-c', 'echo "version $(cat /srv/version)"; exec sleep 1000'], env: ['PATH=/bin'] });
  mkdirSync(join(bundle, 'rootfs/srv/data'), { recursive: true });
  for (let i = 0; i < 40; i++) writeFileSync(join(bundle, `rootfs/srv/data/f${i}`), randomBytes(16 << 10));
  return bundle;
}

function packVersion(bundle: string, dir: string, version: string): string {
  writeFileSync(join(bundle, 'rootfs/srv/version'), `${version}\n`);
  const out = join(dir, 'images', version);
  execFileSync(VZIMAGE, ['pack', bundle, '-o', out, '--app', 'dapp'], { stdio: 'ignore', env: { ...process.env, SOURCE_DATE_EPOCH: '1767225600' } });
  return join(out, readdirSync(out).find((f) => f.endsWith('.tar.gz'))!);
}

/**
 * Corruption on the way: an `ansible` that flips one byte in the middle of the delta file the master is about to copy
 * (once, while the marker exists), then runs the real ansible. Everything else is the real push.
 */
function corruptingAnsible(dir: string, deltas: string): { bin: string; marker: string } {
  const bin = join(dir, 'corrupting-bin');
  mkdirSync(bin);
  const marker = join(dir, 'corrupt-next-delta');
  const flip = `const fs=require('fs');const b=fs.readFileSync(process.argv[1]);b[b.length>>1]^=0xff;fs.writeFileSync(process.argv[1],b)`;
  const real = execFileSync('sh', ['-c', 'command -v ansible']).toString().trim();
  writeFileSync(join(bin, 'ansible'), `#!/bin/sh\nfor f in '${deltas}'/*/*.vzdelta; do\n  if [ -f "$f" ] && [ -f '${marker}' ]; then rm -f '${marker}'; '${process.execPath}' -e "${flip}" "$f"; fi\ndone\nexec '${real}' "$@"\n`);
  chmodSync(join(bin, 'ansible'), 0o755);
  symlinkSync(`${real}-inventory`, join(bin, 'ansible-inventory'));
  return { bin: join(bin, 'ansible'), marker };
}

t.test('differential push on a lab host: a delta for a new version, the full image without a base, full again after a refused delta', async (t) => {
  const dir = scratch(t);
  const bundle = appBundle(dir);
  const lab = await startLab(t, { hosts: 1, busybox: 0 });
  const images = join(lab.dir, 'hosts', 'vps1', 'vz', 'images');
  const pushJson = async (image: string) => {
    const result = await lab.run(['push', image, '--json'], 240_000);
    t.equal(result.exitCode, 0, result.stderr);
    return JSON.parse(result.stdout) as { sent: string[]; transfers: Record<string, { how: string; bytes: number; refused?: string }> };
  };
  const logsSay = async (version: string) => {
    const deadline = Date.now() + 30_000;
    let out = '';
    while (Date.now() < deadline) {
      out = (await lab.run(['logs', 'dapp', '-n', '1'])).stdout;
      if (out.includes(`version ${version}`)) return true;
      await new Promise((r) => setTimeout(r, 500));
    }
    t.comment(out);
    return false;
  };

  const v1 = packVersion(bundle, dir, 'v1');
  const first = await pushJson(v1);
  t.equal(first.transfers.vps1?.how, 'full', 'the first version goes whole (no base)');
  t.equal(first.transfers.vps1?.bytes, readFileSync(v1).length, 'its bytes are the image size');
  const started = await lab.run(['start', 'dapp', '--image', v1], 240_000);
  t.equal(started.exitCode, 0, started.stderr);
  t.ok(await logsSay('v1'), 'v1 runs');

  // One changed 10 KiB file (and the version file): only a small delta goes.
  writeFileSync(join(bundle, 'rootfs/srv/data/f7'), randomBytes(10 << 10));
  const v2 = packVersion(bundle, dir, 'v2');
  const second = await pushJson(v2);
  t.equal(second.transfers.vps1?.how, 'delta', 'a new version goes as a delta');
  t.ok(second.transfers.vps1.bytes > 10 << 10 && second.transfers.vps1.bytes < 16 << 10, `delta bytes ${second.transfers.vps1.bytes} (image ${readFileSync(v2).length})`);
  t.same(readFileSync(join(images, v2.split('/').pop()!)), readFileSync(v2), 'the host rebuilt the image byte for byte');
  t.same(readdirSync(images).filter((n) => n.includes('vzdelta') || n.startsWith('.vz-delta')), [], 'no delta or temporary file left on the host');
  const again = await pushJson(v2);
  t.equal(again.transfers.vps1?.how, 'none', 'pushing it again sends nothing');
  t.equal(again.transfers.vps1?.bytes, 0);
  const run2 = await lab.run(['start', 'dapp', '--image', v2], 240_000);
  t.equal(run2.exitCode, 0, run2.stderr);
  t.ok(await logsSay('v2'), 'v2 runs from the rebuilt image');

  // The delta is corrupted on the way: the host refuses it in one line, the full image follows in the same push.
  const corrupting = corruptingAnsible(dir, join(lab.dir, 'ansible', 'deltas'));
  writeFileSync(corrupting.marker, '');
  writeFileSync(join(bundle, 'rootfs/srv/data/f8'), randomBytes(10 << 10));
  const v2b = packVersion(bundle, dir, 'v2b');
  const onTheWay = await vzmaster(['push', v2b, '--json'], { env: { ...lab.env, VZ_ANSIBLE: corrupting.bin }, timeout: 240_000, scratchDir: dir });
  t.equal(onTheWay.exitCode, 0, onTheWay.stderr);
  t.notOk(existsSync(corrupting.marker), 'the delta was corrupted on its way');
  const corrupted = (JSON.parse(onTheWay.stdout) as { transfers: Record<string, { how: string; refused?: string }> }).transfers.vps1;
  t.equal(corrupted?.how, 'delta-refused+full', 'a corrupt delta falls back to the full image');
  t.match(corrupted?.refused ?? '', /corrupt/, `the host's line: ${corrupted?.refused}`);
  t.same(readFileSync(join(images, v2b.split('/').pop()!)), readFileSync(v2b), 'the full image arrived intact');
  const run2b = await lab.run(['start', 'dapp', '--image', v2b], 240_000);
  t.equal(run2b.exitCode, 0, run2b.stderr);
  t.ok(await logsSay('v2b'), 'and v2b runs');

  // The base on the host is corrupt: the delta is refused there in one line and the full image follows.
  appendFileSync(join(images, v2b.split('/').pop()!), 'x');
  writeFileSync(join(bundle, 'rootfs/srv/data/f9'), randomBytes(10 << 10));
  const v3 = packVersion(bundle, dir, 'v3');
  const third = await pushJson(v3);
  t.equal(third.transfers.vps1?.how, 'delta-refused+full', 'a refused delta falls back to the full image');
  t.match(third.transfers.vps1?.refused ?? '', /base image .* is corrupt here/, 'the host said why, in one line');
  t.ok(third.transfers.vps1.bytes > readFileSync(v3).length, 'bytes: the delta and the image');
  t.same(readFileSync(join(images, v3.split('/').pop()!)), readFileSync(v3), 'the full image arrived');
  const run3 = await lab.run(['start', 'dapp', '--image', v3], 240_000);
  t.equal(run3.exitCode, 0, run3.stderr);
  t.ok(await logsSay('v3'), 'v3 runs');

  // A host this master has no record of (a fresh master, or a new host): the full image.
  rmSync(join(lab.dir, 'ansible', 'pushed'), { recursive: true, force: true });
  writeFileSync(join(bundle, 'rootfs/srv/data/f11'), randomBytes(10 << 10));
  const v4 = packVersion(bundle, dir, 'v4');
  const fourth = await pushJson(v4);
  t.equal(fourth.transfers.vps1?.how, 'full', 'no base known: the full image');
  t.equal(fourth.transfers.vps1?.bytes, readFileSync(v4).length);
});
