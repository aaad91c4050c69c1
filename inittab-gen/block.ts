import { VzError } from '../base/errors.ts';

export const BEGIN = '# BEGIN vz managed block: written by "runch init apply"; edit the table, not these lines';
/** Same, when vz had to end the file's last line to append its block: removing the block removes that newline too. */
export const BEGIN_AFTER_NEWLINE = `${BEGIN} (newline added above)`;
export const END = '# END vz managed block';

export interface Split {
  before: string;
  block: string[];
  /** The bytes after the END line's newline. */
  after: string;
  /** The END line had a newline (false only when it is the file's very last, unterminated line). */
  endNewline: boolean;
  /** vz ended the last foreign line with a newline of its own. */
  addedNewline: boolean;
}

/** Find vz's block; refuse a half-present one rather than guess which lines are whose. */
export function splitBlock(text: string, file: string): Split | undefined {
  const lines = text.split('\n');
  const begins = lines.flatMap((line, i) => (line === BEGIN || line === BEGIN_AFTER_NEWLINE ? [i] : []));
  const ends = lines.flatMap((line, i) => (line === END ? [i] : []));
  if (begins.length === 0 && ends.length === 0) return undefined;
  if (begins.length !== 1 || ends.length !== 1 || ends[0] < begins[0])
    throw new VzError(
      'invalid-config',
      `${file} has ${begins.length} BEGIN and ${ends.length} END vz marker lines: leave exactly one BEGIN followed by one END (or remove both and the lines between them), then apply again`,
    );
  const [b, e] = [begins[0], ends[0]];
  return {
    before: lines.slice(0, b).map((line) => `${line}\n`).join(''),
    block: lines.slice(b + 1, e),
    after: lines.slice(e + 1).join('\n'),
    endNewline: e + 1 < lines.length,
    addedNewline: lines[b] === BEGIN_AFTER_NEWLINE,
  };
}

/**
 * The file with vz's block set to `block` (no block at all when empty and none existed before). Every byte
 * outside the block is kept; an existing block is replaced in place, a new one is appended.
 */
export function spliceBlock(text: string, block: string[], file: string): string {
  const split = splitBlock(text, file);
  if (!split) {
    if (block.length === 0) return text;
    const needsNewline = text !== '' && !text.endsWith('\n');
    return `${text}${needsNewline ? '\n' : ''}${needsNewline ? BEGIN_AFTER_NEWLINE : BEGIN}\n${block.map((l) => `${l}\n`).join('')}${END}\n`;
  }
  let { before } = split;
  const { after } = split;
  if (block.length === 0) {
    // Gone entirely: the file is what it was before vz's first apply.
    if (split.addedNewline && after === '' && before.endsWith('\n')) before = before.slice(0, -1);
    return before + after;
  }
  const marker = split.addedNewline ? BEGIN_AFTER_NEWLINE : BEGIN;
  return `${before}${marker}\n${block.map((l) => `${l}\n`).join('')}${END}${split.endNewline ? '\n' : ''}${after}`;
}

/** The text with vz's block cut out: what every foreign line is, for collision checks. */
export function withoutBlock(text: string, file: string): string {
  const split = splitBlock(text, file);
  return split ? split.before + split.after : text;
}
