import { stringify } from 'yaml';
import type { LabHost } from './state.ts';

/**
 * The lab's inventory (ansible's YAML format): one group per vendor, each host with its address and port, the lab
 * key and python for all. What the lab built each host as is recorded for people and tests, never for vz's own
 * decisions (vz detects a host's init on the host): host vars vz_lab_init and vz_lab_tree (the host's root: a tree
 * name, or "machine"). No group per init: a host's groups are its vendor (newnode and deploy's spread read them so).
 * Written by the `yaml` library, so every value is quoted as YAML needs.
 */
export function renderLabInventory(hosts: LabHost[], keyFile: string): string {
  const children: Record<string, { hosts: Record<string, Record<string, unknown>> }> = {};
  // Fresh hosts are not hosts yet: `vzmaster newnode` adds them.
  for (const host of hosts.filter((h) => !h.fresh)) {
    children[host.vendor] ??= { hosts: {} };
    children[host.vendor].hosts[host.name] = { ansible_host: host.address, ansible_port: host.port, vz_lab_init: host.init, vz_lab_tree: host.tree ?? 'machine' };
  }
  const doc = {
    all: {
      vars: { ansible_user: 'root', ansible_ssh_private_key_file: keyFile, ansible_python_interpreter: '/usr/bin/python3' },
      children,
    },
  };
  return `# written by vzmaster lab up: the lab's hosts, one group per (simulated) vendor\n${stringify(doc)}`;
}
