/**
 * A tar's members as ranges: each header block with its data (padded to 512), the unit a file-level delta matches
 * (a pax or GNU long-name record is a member of its own, like the entry it names). The end-of-archive blocks are one
 * last member. Pure: a range list over bytes, nothing interpreted beyond the size field.
 */
export interface Member {
  /** Offset of the header block in the tar. */
  offset: number;
  /** Header plus padded data. */
  length: number;
  /** Data size as the header says (0 for the trailer). */
  size: number;
}

function headerSize(tar: Buffer, at: number): number {
  const field = tar.subarray(at + 124, at + 136);
  // base-256 (GNU) for sizes that do not fit 11 octal digits: high bit of the first byte set
  if (field[0] & 0x80) {
    let value = 0;
    for (let i = 1; i < 12; i++) value = value * 256 + field[i];
    return value;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

function zeroBlock(tar: Buffer, at: number): boolean {
  for (let i = at; i < at + 512; i++) if (tar[i] !== 0) return false;
  return true;
}

export function tarMembers(tar: Buffer): Member[] {
  const members: Member[] = [];
  let at = 0;
  while (at + 512 <= tar.length) {
    if (zeroBlock(tar, at)) break;
    const size = headerSize(tar, at);
    const length = Number.isFinite(size) && size >= 0 ? 512 + Math.ceil(size / 512) * 512 : 512;
    if (at + length > tar.length) break; // a truncated last member: the rest goes as one range
    members.push({ offset: at, length, size });
    at += length;
  }
  if (at < tar.length) members.push({ offset: at, length: tar.length - at, size: 0 });
  return members;
}
