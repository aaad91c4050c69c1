import { yamlQuote } from '../../base/yaml-quote.ts';
import type { Login } from '../../bootstrap/runner.ts';

/**
 * A one-host inventory for one bootstrap stage, written to a 0600 file that lives only as long as the stage. Every
 * string is an element of one YAML `!unsafe` list, `vz_login`, and the connection vars only reference it: a password
 * holding "{{" or quotes reaches ssh verbatim, never templated, and keeps its type. Why a list: ansible-core 2.19
 * re-reads an `!unsafe` scalar as if unquoted ("0755" became the number 493, "yes" true); list elements stay strings
 * on 2.14 and 2.19 alike (as module arguments do, master-cli/ansible/args.ts).
 */
export function renderSessionInventory(login: Login): string {
  const values: string[] = [];
  const ref = (value: string) => {
    values.push(yamlQuote(value));
    return `"{{ vz_login[${values.length - 1}] }}"`;
  };
  const vars: string[] = [`ansible_host: ${ref(login.address)}`, `ansible_port: ${login.port}`, `ansible_user: ${ref(login.user)}`];
  // A fresh VPS may keep python anywhere: let ansible find it, quietly.
  vars.push('ansible_python_interpreter: auto_silent');
  if (login.password !== undefined) vars.push(`ansible_password: ${ref(login.password)}`);
  if (login.keyFile) vars.push(`ansible_ssh_private_key_file: ${ref(login.keyFile)}`);
  if (login.become) vars.push('ansible_become: true', 'ansible_become_method: sudo');
  vars.push(`vz_login: !unsafe [${values.join(', ')}]`);
  return ['all:', '  hosts:', `    ${login.name}:`, ...vars.map((v) => `      ${v}`), ''].join('\n');
}
