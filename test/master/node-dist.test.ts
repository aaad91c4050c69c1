// issue 12: which Node newnode sends a host. A 32-bit x86 host (uname -m i686) takes Node's x86 tarball through
// --node-dist, and without one (no official 32-bit Node exists for the master to send) the refusal names the host's
// Node and both ways out. The lab tests run the real bootstraps (newnode.test.ts, i686.test.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { nodeDistFor } from '../../bootstrap/node-dist.ts';
import { nodeIsRecentEnough } from '../../bootstrap/probe.ts';
import { scratch } from '../helpers/fixtures.ts';

t.test('the floor is 18.19: Debian 12 i386 nodejs (18.20) passes, 18.18 and none do not', async (t) => {
  for (const [version, ok] of [['v18.20.4', true], ['v18.19.0', true], ['v18.18.2', false], ['v24.11.1', true], ['v12.22.12', false], ['none', false]] as const)
    t.equal(nodeIsRecentEnough(version), ok, `${version}: ${ok ? 'kept' : 'replaced'}`);
});

t.test('an i686 host: the x86 tarball is taken, an x64 or arm64 one refused with the right name', async (t) => {
  const dir = scratch(t);
  const x86 = join(dir, 'node-v18.20.4-linux-x86.tar.xz');
  const x64 = join(dir, 'node-v24.11.1-linux-x64.tar.xz');
  for (const file of [x86, x64]) writeFileSync(file, '');
  for (const arch of ['i686', 'i586', 'i386']) t.same(await nodeDistFor(arch, { distFile: x86, cacheDir: dir }), { file: x86, version: 'v18.20.4', stripComponents: 1 }, `${arch} takes linux-x86`);
  await t.rejects(nodeDistFor('i686', { distFile: x64, cacheDir: dir }), { message: '--node-dist node-v24.11.1-linux-x64.tar.xz is for x64, the host is i686: use the linux-x86 tarball' });
  await t.rejects(nodeDistFor('aarch64', { distFile: x86, cacheDir: dir }), { message: '--node-dist node-v18.20.4-linux-x86.tar.xz is for x86, the host is aarch64: use the linux-arm64 tarball' });
  const old = join(dir, 'node-v18.18.0-linux-x86.tar.xz');
  writeFileSync(old, '');
  await t.rejects(nodeDistFor('i686', { distFile: old, cacheDir: dir }), { message: '--node-dist node-v18.18.0-linux-x86.tar.xz is Node v18.18.0: vz needs 18.19 or later' });
});

t.test("an i686 host without a Node new enough and no --node-dist: refused, naming the host's Node and the ways out", { skip: process.arch === 'x64' ? false : `the message names an x64 master; this one is ${process.arch}` }, async (t) => {
  const dir = scratch(t);
  await t.rejects(nodeDistFor('i686', { cacheDir: dir, hostNode: 'none' }), {
    message: "the host is i686 with no Node (vz needs 18.19 or later) and this vzmaster's Node is x64: install the distribution's nodejs there (Debian 12: apt-get install nodejs) or pass --node-dist with Node's linux-x86 tarball",
  });
  await t.rejects(nodeDistFor('i686', { cacheDir: dir, hostNode: 'v12.22.12' }), { message: /^the host is i686 with Node v12\.22\.12 \(vz needs 18\.19 or later\)/ });
  await t.rejects(nodeDistFor('aarch64', { cacheDir: dir, hostNode: 'none' }), {
    message: "the host is aarch64 with no Node (vz needs 18.19 or later) and this vzmaster's Node is x64: pass --node-dist with Node's linux-arm64 tarball",
  });
});
