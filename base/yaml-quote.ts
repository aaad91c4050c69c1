/**
 * A YAML double-quoted scalar with everything outside printable ASCII escaped (PyYAML refuses some raw controls).
 * Shared by the module arguments vzmaster sends (master-cli/ansible) and newnode's one-host inventories.
 */
export function yamlQuote(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (code >= 0x20 && code <= 0x7e) out += char;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}
