import t from 'tap';
import { parseElf } from '../../image/elf.ts';
import { parseLoaderList } from '../../image/loader.ts';
import { nssModules, nssNeed } from '../../image/nss.ts';

/** A minimal ELF image: header, one PT_INTERP program header, the interpreter string. */
function elf(bits: 32 | 64, machine: number, interp?: string): Buffer {
  const buf = Buffer.alloc(256);
  buf.write('\x7fELF', 0, 'latin1');
  buf[4] = bits === 64 ? 2 : 1;
  buf[5] = 1;
  buf.writeUInt16LE(machine, 18);
  const phoff = bits === 64 ? 64 : 52;
  const phentsize = bits === 64 ? 56 : 32;
  if (bits === 64) {
    buf.writeBigUInt64LE(BigInt(phoff), 32);
    buf.writeUInt16LE(phentsize, 54);
    buf.writeUInt16LE(interp ? 1 : 0, 56);
  } else {
    buf.writeUInt32LE(phoff, 28);
    buf.writeUInt16LE(phentsize, 42);
    buf.writeUInt16LE(interp ? 1 : 0, 44);
  }
  if (interp) {
    const at = 160;
    buf.write(`${interp}\0`, at, 'latin1');
    buf.writeUInt32LE(3, phoff); // PT_INTERP
    if (bits === 64) {
      buf.writeBigUInt64LE(BigInt(at), phoff + 8);
      buf.writeBigUInt64LE(BigInt(interp.length + 1), phoff + 32);
    } else {
      buf.writeUInt32LE(at, phoff + 4);
      buf.writeUInt32LE(interp.length + 1, phoff + 16);
    }
  }
  return buf;
}

t.test('the loader and architecture come from the ELF header and PT_INTERP, for every architecture', async (t) => {
  t.match(parseElf(elf(32, 3, '/lib/ld-linux.so.2')), { bits: 32, machine: 'i686', interp: '/lib/ld-linux.so.2' });
  t.match(parseElf(elf(64, 62, '/lib64/ld-linux-x86-64.so.2')), { bits: 64, machine: 'x86_64', interp: '/lib64/ld-linux-x86-64.so.2' });
  t.match(parseElf(elf(64, 183, '/lib/ld-linux-aarch64.so.1')), { machine: 'aarch64', interp: '/lib/ld-linux-aarch64.so.1' });
  t.match(parseElf(elf(64, 62, '/lib/ld-musl-x86_64.so.1')), { machine: 'x86_64', interp: '/lib/ld-musl-x86_64.so.1' });
  t.equal(parseElf(elf(64, 62)).interp, undefined, 'static: no loader');
  t.throws(() => parseElf(Buffer.from('#!/bin/sh\necho hi\n'.padEnd(64)), 'x.sh'), /x\.sh is not an ELF program/);
});

t.test('the host\'s getent imports resolver functions: NSS for hosts', async (t) => {
  const { readElf } = await import('../../image/elf.ts');
  const { findProgram } = await import('../../image/which.ts');
  const getent = readElf(findProgram('getent'));
  t.equal(nssNeed(getent.imports), 'hosts');
  t.equal(nssNeed(new Set(['printf'])), 'none');
  t.equal(nssNeed(new Set(['getpwuid'])), 'users');
  t.same(nssModules(['/lib/ld-musl-x86_64.so.1'], 'hosts'), [], 'musl has no NSS modules');
});

t.test('loader --list output: glibc (x86_64, i686), musl; not found is an error naming the library', async (t) => {
  const glibc = [
    '\tlinux-vdso.so.1 (0x00007ffd5b3f2000)',
    '\tlibselinux.so.1 => /lib/x86_64-linux-gnu/libselinux.so.1 (0x00007f0e1c5a0000)',
    '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0e1c3bf000)',
    '\t/lib64/ld-linux-x86-64.so.2 (0x00007f0e1c600000)',
  ].join('\n');
  t.same(parseLoaderList(glibc, 'ls'), ['/lib/x86_64-linux-gnu/libselinux.so.1', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']);
  const i686 = '\tlinux-gate.so.1 (0xf7f0e000)\n\tlibc.so.6 => /usr/lib/libc.so.6 (0xf7c00000)\n\t/usr/lib/ld-linux.so.2 => /usr/lib32/ld-linux.so.2 (0xf7f10000)\n';
  t.same(parseLoaderList(i686, 'ls'), ['/usr/lib/libc.so.6', '/usr/lib32/ld-linux.so.2']);
  const musl = '\t/lib/ld-musl-x86_64.so.1 (0x7f6c1e3c4000)\n\tlibc.musl-x86_64.so.1 => /lib/ld-musl-x86_64.so.1 (0x7f6c1e3c4000)\n';
  t.same(parseLoaderList(musl, 'ls'), ['/lib/ld-musl-x86_64.so.1', '/lib/ld-musl-x86_64.so.1']);
  t.throws(() => parseLoaderList('\tlibfoo.so.3 => not found\n', 'app'), /app needs libfoo\.so\.3, which the loader cannot find/);
});

t.test('#! lines: the interpreter, its one argument, env NAME', async (t) => {
  const { parseShebangLine } = await import('../../image/shebang.ts');
  t.same(parseShebangLine(Buffer.from('#!/bin/sh\necho\n')), { interp: '/bin/sh', arg: undefined });
  t.same(parseShebangLine(Buffer.from('#! /usr/bin/env  perl -w\n')), { interp: '/usr/bin/env', arg: 'perl -w' });
  t.equal(parseShebangLine(Buffer.from('#!perl\n')), undefined, 'a relative interpreter is not one the kernel runs');
  t.equal(parseShebangLine(Buffer.from('\x7fELF')), undefined);
});
