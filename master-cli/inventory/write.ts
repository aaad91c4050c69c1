import { stringify } from 'yaml';
import type { LabHost } from '../lab/state.ts';

/**
 * The lab's inventory (ansible's YAML format): one group per vendor, each host with its address and port, the
 * lab key and python for all. Written by the `yaml` library, so every value is quoted as YAML needs.
 */
export function renderLabInventory(hosts: LabHost[], keyFile: string): string {
  const vendors: Record<string, { hosts: Record<string, Record<string, unknown>> }> = {};
  // Fresh hosts are not hosts yet: `vzmaster newnode` adds them.
  for (const host of hosts.filter((h) => !h.fresh)) {
    vendors[host.vendor] ??= { hosts: {} };
    vendors[host.vendor].hosts[host.name] = { ansible_host: host.address, ansible_port: host.port };
  }
  const doc = {
    all: {
      vars: { ansible_user: 'root', ansible_ssh_private_key_file: keyFile, ansible_python_interpreter: '/usr/bin/python3' },
      children: vendors,
    },
  };
  return `# written by vzmaster lab up: the lab's hosts, one group per (simulated) vendor\n${stringify(doc)}`;
}

/**
 * The lab's ansible.cfg. Why each line: pipelining saves a round trip per module; ControlPersist keeps one SSH
 * connection per host between runs; keepalives end a frozen host's connection in ~4 s; lab host keys are new on
 * every `lab up`, so known_hosts is /dev/null. No paths here (configparser would interpolate %).
 */
export function renderLabAnsibleCfg(): string {
  return [
    '# written by vzmaster lab up',
    '[defaults]',
    'host_key_checking = False',
    'interpreter_python = /usr/bin/python3',
    'retry_files_enabled = False',
    'timeout = 5',
    '',
    '[ssh_connection]',
    'pipelining = True',
    'ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR -o ServerAliveInterval=2 -o ServerAliveCountMax=2',
    '',
  ].join('\n');
}
