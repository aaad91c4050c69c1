/**
 * Ansible's own warnings, as data. Why: vzmaster captures ansible's stderr (its stdout is the callback's human
 * output, never shown), so warnings, deprecations first, would be lost; they are passed on to the user's stderr
 * instead, one line each, prefixed "ansible: ", each at most once per vzmaster run (a start makes several calls that
 * would repeat the same warning). vzmaster's own stdout (tables, JSON) never carries them.
 */
export interface AnsibleMessage {
  kind: 'WARNING' | 'DEPRECATION WARNING' | 'ERROR';
  /** The message, wrapped lines joined (ansible-core 2.14 wraps at ~80 columns; 2.19 adds detail after a blank line). */
  text: string;
}

const MARKER = /\[(WARNING|DEPRECATION WARNING|ERROR)\]: ?|^ERROR! /gm;

/** Every [WARNING], [DEPRECATION WARNING], [ERROR] and ERROR! message in ansible's stderr, in order. */
export function ansibleMessages(stderr: string): AnsibleMessage[] {
  const out: AnsibleMessage[] = [];
  const matches = [...stderr.matchAll(MARKER)];
  matches.forEach((match, i) => {
    const end = i + 1 < matches.length ? matches[i + 1].index : stderr.length;
    const body = stderr.slice(match.index + match[0].length, end);
    // The message runs to the first blank line: after it, 2.19 prints "<<< caused by >>>" detail and origins.
    const text = body.split(/\n\s*\n/)[0].split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
    const kind = (match[1] ?? 'ERROR') as AnsibleMessage['kind'];
    if (text) out.push({ kind, text });
  });
  return out;
}

const shown = new Set<string>();

/** Pass ansible's warnings on to the user's stderr, once each per process. */
export function forwardWarnings(stderr: string, write: (line: string) => void = (line) => process.stderr.write(line)): void {
  for (const message of ansibleMessages(stderr)) {
    if (message.kind === 'ERROR') continue;
    const line = `ansible: [${message.kind}]: ${message.text}`;
    if (shown.has(line)) continue;
    shown.add(line);
    write(`${line}\n`);
  }
}
