/**
 * Which of ansible's two file formats an inventory file is written in, for newnode's in-place edits only (reading is
 * ansible-inventory's job): YAML by extension, or when the first meaningful line is a "name:" key; otherwise INI.
 */
export function inventoryFormat(path: string, text: string): 'ini' | 'yaml' {
  if (/\.(ya?ml|json)$/.test(path)) return 'yaml';
  const first = text.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('#') && !l.startsWith(';')) ?? '';
  return /^[A-Za-z_][\w-]*\s*:(\s|$)/.test(first) && !first.includes('=') ? 'yaml' : 'ini';
}
