import { chmodSync, copyFileSync, existsSync, lstatSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { readElf } from '../../image/elf.ts';
import { runch, scratch } from '../helpers/fixtures.ts';
import { host, tool, varScratch } from './tools.ts';

t.test('ldd-trace /bin/ls: a rootfs with the loader, libraries under their sonames and symlink chains; runs under runch like on the host', async (t) => {
  const dir = scratch(t);
  const rootfs = join(dir, 'ls/rootfs');
  const traced = await tool('ldd-trace', ['--user', '1000:1000', rootfs, '/bin/ls']);
  t.equal(traced.exitCode, 0, traced.stderr);
  const spec = readFileSync(`${rootfs}.spec`, 'utf8').trim().split('\n');
  t.same(spec, [...spec].sort(), 'the spec is sorted');
  t.ok(spec.some((p) => /\/libc\.so\.6$/.test(p)), 'libc in the spec');
  // the loader exactly where the program's PT_INTERP says, reached through the same chain as on the host
  const interp = readElf('/bin/ls').interp as string;
  t.ok(spec.includes(interp) || lstatSync(interp).isSymbolicLink(), `the loader ${interp} in the spec`);
  t.ok(existsSync(join(rootfs, interp)), 'PT_INTERP resolves inside the rootfs');
  for (const path of spec) {
    const stat = lstatSync(path);
    const copy = lstatSync(join(rootfs, path));
    t.equal(copy.mode, stat.mode, `${path}: mode kept`);
    if (stat.isSymbolicLink()) t.equal(readlinkSync(join(rootfs, path)), readlinkSync(path), `${path}: same link`);
  }
  t.equal(lstatSync(join(rootfs, 'tmp')).mode & 0o7777, 0o1777, 'tmp is 1777');
  t.match(readFileSync(join(rootfs, 'etc/passwd'), 'utf8'), /^root:x:0:0:.*\napp:x:1000:1000:/);
  t.match(readFileSync(join(rootfs, 'etc/group'), 'utf8'), /app:x:1000:/);
  t.ok(existsSync(join(rootfs, 'etc/resolv.conf')));

  const bundle = join(dir, 'ls-bundle');
  t.equal((await tool('vzimage', ['bundle', rootfs, bundle, '--args', '/bin/ls', '-la', '--time-style=+%s', '/usr/lib/x86_64-linux-gnu'])).exitCode, 0);
  const inside = await runch(join(dir, 'root'), ['run', '--bundle', bundle, 'ls1']);
  t.equal(inside.exitCode, 0, inside.stderr);
  const outside = await host('/bin/ls', ['-la', '--time-style=+%s', join(bundle, 'rootfs/usr/lib/x86_64-linux-gnu')]);
  t.equal(inside.stdout, outside.stdout, 'ls in the container prints what ls on the host prints for the same directory');
  t.match(inside.stdout, /root root/, 'user names come from the rootfs through NSS files');
});

t.test('ldd-trace on a #! script copies its interpreter chain; the script runs under runch like on the host', async (t) => {
  const dir = scratch(t);
  const src = varScratch(t);
  const script = join(src, 'hello.sh');
  writeFileSync(script, '#!/bin/sh\nset -e\nprintf "%s|" "$0" "$@"\nfor i in 1 2 3; do echo "line $i"; done\n');
  chmodSync(script, 0o755);
  const rootfs = join(dir, 'sh/rootfs');
  const traced = await tool('ldd-trace', [rootfs, script]);
  t.equal(traced.exitCode, 0, traced.stderr);
  const spec = readFileSync(`${rootfs}.spec`, 'utf8');
  t.match(spec, /\/bin\/sh\n/, 'the interpreter named on the #! line');
  t.match(spec, /\/dash\n/, 'and what it links to');
  const bundle = join(dir, 'sh-bundle');
  t.equal((await tool('vzimage', ['bundle', rootfs, bundle, '--', script, 'two words', 'x'])).exitCode, 0);
  const inside = await runch(join(dir, 'root'), ['run', '--bundle', bundle, 'sh1']);
  t.equal(inside.exitCode, 0, inside.stderr);
  t.equal(inside.stdout, (await host(script, ['two words', 'x'])).stdout);
});

t.test('ldd-trace adds NSS modules (and libresolv) for a resolver: getent hosts under runch answers like the host', async (t) => {
  const dir = scratch(t);
  const rootfs = join(dir, 'getent/rootfs');
  const traced = await tool('ldd-trace', [rootfs, 'getent']);
  t.equal(traced.exitCode, 0, traced.stderr);
  t.match(traced.stderr, /NSS for hosts/);
  const spec = readFileSync(`${rootfs}.spec`, 'utf8');
  for (const module of ['libnss_files.so.2', 'libnss_dns.so.2', 'libresolv.so.2']) t.match(spec, new RegExp(`/${module.replace(/\./g, '\\.')}\n`), module);
  t.match(readFileSync(join(rootfs, 'etc/nsswitch.conf'), 'utf8'), /^hosts: files dns$/m);
  copyFileSync('/etc/hosts', join(rootfs, 'etc/hosts')); // the same table as the host: same answers
  const bundle = join(dir, 'getent-bundle');
  t.equal((await tool('vzimage', ['bundle', rootfs, bundle, '--args', 'getent', 'hosts', 'localhost'])).exitCode, 0);
  const inside = await runch(join(dir, 'root'), ['run', '--bundle', bundle, 'ge1']);
  t.equal(inside.exitCode, 0, inside.stderr);
  const outside = await host('getent', ['hosts', 'localhost']);
  t.equal(inside.stdout, outside.stdout);
  t.match(inside.stdout, /localhost/);
});

t.test('ldd-trace refuses bad input with one line and leaves nothing', async (t) => {
  const dir = scratch(t);
  const missing = await tool('ldd-trace', [join(dir, 'x'), 'no-such-program-vz']);
  t.equal(missing.exitCode, 1);
  t.match(missing.stderr, /^ldd-trace: program "no-such-program-vz" not found in PATH/);
  t.equal(missing.stderr.trim().split('\n').length, 1);
  t.notOk(existsSync(join(dir, 'x')));
  writeFileSync(join(dir, 'data.txt'), 'not a program');
  chmodSync(join(dir, 'data.txt'), 0o755);
  const data = await tool('ldd-trace', [join(dir, 'y'), join(dir, 'data.txt')]);
  t.equal(data.exitCode, 1);
  t.match(data.stderr, /neither an ELF program nor a #! script/);
  t.notOk(existsSync(join(dir, 'y')));
  const usage = await tool('ldd-trace', [join(dir, 'z')]);
  t.equal(usage.exitCode, 1);
  t.match(usage.stderr, /needs a directory and at least one program/);
});
