/** One inittab line as init reads it; comments and blanks have no fields. */
export interface InittabLine {
  /** The line's bytes exactly, without its newline. */
  raw: string;
  /** 1-based line number, for messages. */
  number: number;
  fields?: { id: string; runlevels: string; action: string; process: string };
}

/** Split without losing a byte: joining the raws with "\n" gives the text back, a missing last newline included. */
export function parseInittab(text: string): InittabLine[] {
  return text.split('\n').map((raw, index) => {
    const line: InittabLine = { raw, number: index + 1 };
    const trimmed = raw.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) return line;
    const parts = raw.split(':');
    if (parts.length >= 4) line.fields = { id: parts[0], runlevels: parts[1], action: parts[2], process: parts.slice(3).join(':') };
    return line;
  });
}

/** Every id and process already used by lines vz does not own, with where they are (for collision messages). */
export function foreignUses(lines: InittabLine[], file: string): { ids: Map<string, string>; processes: Map<string, string> } {
  const ids = new Map<string, string>();
  const processes = new Map<string, string>();
  for (const line of lines) {
    if (!line.fields) continue;
    const where = `${file} line ${line.number} ("${line.raw.length > 60 ? `${line.raw.slice(0, 57)}...` : line.raw}")`;
    if (line.fields.id !== '') ids.set(line.fields.id, where);
    processes.set(line.fields.process.trim(), where);
  }
  return { ids, processes };
}
