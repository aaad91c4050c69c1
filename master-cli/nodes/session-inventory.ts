import { yamlQuote } from '../../base/yaml-quote.ts';
import type { Login } from '../../bootstrap/runner.ts';

/**
 * A one-host inventory for one bootstrap stage, written to a 0600 file that lives only as long as the stage. Every
 * string is a YAML `!unsafe` scalar, so a password holding "{{" or quotes reaches ssh verbatim, never templated.
 */
export function renderSessionInventory(login: Login): string {
  const vars: string[] = [
    `ansible_host: !unsafe ${yamlQuote(login.address)}`,
    `ansible_port: ${login.port}`,
    `ansible_user: !unsafe ${yamlQuote(login.user)}`,
    // A fresh VPS may keep python anywhere: let ansible find it, quietly.
    'ansible_python_interpreter: auto_silent',
  ];
  if (login.password !== undefined) vars.push(`ansible_password: !unsafe ${yamlQuote(login.password)}`);
  if (login.keyFile) vars.push(`ansible_ssh_private_key_file: !unsafe ${yamlQuote(login.keyFile)}`);
  if (login.become) vars.push('ansible_become: true', 'ansible_become_method: sudo');
  return ['all:', '  hosts:', `    ${login.name}:`, ...vars.map((v) => `      ${v}`), ''].join('\n');
}
