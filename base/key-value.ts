/**
 * A probe's "key<TAB>value" lines as fields: the one format vz's host probes print (newnode's first look, the
 * facts `nodes` reads). raw runs in a pty, so lines may end in \r\n; lines without a tab are ignored.
 */
export function tabFields(stdout: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of stdout.split(/\r?\n/)) {
    const tab = line.indexOf('\t');
    if (tab > 0) fields[line.slice(0, tab)] = line.slice(tab + 1).trim();
  }
  return fields;
}
