import { createHash } from 'node:crypto';
import { VzError } from '../base/errors.ts';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * inittab's id field holds 1-4 characters. Derived from a hash of the vz id so it is stable: the same container
 * keeps the same inittab id whatever else the table holds (init keys its respawn counters and utmp on it).
 */
export function derivedInittabId(id: string): string {
  const digest = createHash('sha256').update(id).digest();
  let value = digest.readUInt32BE(0);
  let out = '';
  for (let i = 0; i < 4; i++) {
    out += ALPHABET[value % 36];
    value = Math.floor(value / 36);
  }
  return out;
}

/** vz id -> inittab id for every entry; refuses a duplicate or a clash with a line vz does not own. */
export function assignInittabIds(entries: { id: string; inittabId?: string }[], foreignIds: Map<string, string>): Map<string, string> {
  const byInittabId = new Map<string, string>();
  const result = new Map<string, string>();
  for (const entry of entries) {
    const inittabId = entry.inittabId ?? derivedInittabId(entry.id);
    const other = byInittabId.get(inittabId);
    if (other !== undefined)
      throw new VzError(
        'invalid-config',
        `entries "${other}" and "${entry.id}" both map to inittab id "${inittabId}": rename one of the two containers`,
      );
    const foreign = foreignIds.get(inittabId);
    if (foreign !== undefined)
      throw new VzError(
        'invalid-config',
        `entry "${entry.id}" maps to inittab id "${inittabId}", already used by ${foreign}: rename the container or change that line's id`,
      );
    byInittabId.set(inittabId, entry.id);
    result.set(entry.id, inittabId);
  }
  return result;
}
