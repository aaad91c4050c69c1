import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { VzError } from '../base/errors.ts';

/** Why: the loader and the architecture come from the program itself (PT_INTERP, e_machine), never from a fixed name. */
export interface ElfInfo {
  bits: 32 | 64;
  machine: string;
  /** PT_INTERP: the dynamic loader the kernel starts; undefined for a static program. */
  interp?: string;
  /** Names of functions the program imports (undefined dynamic symbols): tells whether it needs NSS. */
  imports: Set<string>;
}

const MACHINES: Record<number, string> = { 3: 'i686', 62: 'x86_64', 183: 'aarch64', 40: 'arm', 8: 'mips', 21: 'ppc64', 22: 's390x', 243: 'riscv64' };
const PT_INTERP = 3;
const SHT_DYNSYM = 11;
const MAX_READ = 256 * 1024 * 1024;

/** True when the first bytes are the ELF magic. */
export function isElf(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x7f && head.toString('latin1', 1, 4) === 'ELF';
}

export function readElf(path: string): ElfInfo {
  const fd = openSync(path, 'r');
  try {
    const size = Math.min(fstatSync(fd).size, MAX_READ);
    const buf = Buffer.alloc(size);
    readSync(fd, buf, 0, size, 0);
    return parseElf(buf, path);
  } finally {
    closeSync(fd);
  }
}

/** Pure: the ELF header, program headers and dynamic symbol table of an image in memory. */
export function parseElf(buf: Buffer, name = 'program'): ElfInfo {
  if (!isElf(buf) || buf.length < 52) throw new VzError('invalid-config', `${name} is not an ELF program: give a compiled program or a script with a #! line`);
  const bits = buf[4] === 2 ? 64 : 32;
  const le = buf[5] !== 2;
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const word = (o: number) => (bits === 64 ? Number(le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o)) : u32(o));
  const machineId = u16(18);
  const machine = MACHINES[machineId] ?? `machine-${machineId}`;
  const [phoff, shoff] = bits === 64 ? [word(32), word(40)] : [word(28), word(32)];
  const [phentsize, phnum, shentsize, shnum] = bits === 64 ? [u16(54), u16(56), u16(58), u16(60)] : [u16(42), u16(44), u16(46), u16(48)];
  let interp: string | undefined;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + phentsize > buf.length || u32(ph) !== PT_INTERP) continue;
    const [offset, filesz] = bits === 64 ? [word(ph + 8), word(ph + 32)] : [word(ph + 4), word(ph + 16)];
    interp = buf.toString('latin1', offset, offset + filesz).replace(/\0.*$/s, '');
  }
  const imports = new Set<string>();
  const section = (i: number) => {
    const sh = shoff + i * shentsize;
    if (sh + shentsize > buf.length) return undefined;
    return bits === 64
      ? { type: u32(sh + 4), offset: word(sh + 24), size: word(sh + 32), link: u32(sh + 40), entsize: word(sh + 56) }
      : { type: u32(sh + 4), offset: word(sh + 16), size: word(sh + 20), link: u32(sh + 24), entsize: word(sh + 36) };
  };
  for (let i = 0; i < shnum; i++) {
    const dynsym = section(i);
    if (!dynsym || dynsym.type !== SHT_DYNSYM || dynsym.entsize === 0) continue;
    const strtab = section(dynsym.link);
    if (!strtab) continue;
    for (let s = dynsym.offset; s + dynsym.entsize <= Math.min(dynsym.offset + dynsym.size, buf.length); s += dynsym.entsize) {
      const shndx = bits === 64 ? u16(s + 6) : u16(s + 14);
      if (shndx !== 0) continue; // defined here, not imported
      const start = strtab.offset + u32(s);
      const end = buf.indexOf(0, start);
      if (end > start) imports.add(buf.toString('latin1', start, end).replace(/@.*$/, ''));
    }
  }
  return { bits, machine, interp, imports };
}
