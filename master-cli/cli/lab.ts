import { VzError } from '../../base/errors.ts';
import { freezeHost, labDown, labStatus, startHost, stopHost } from '../lab/manage.ts';
import { defaultLabDir, labPaths } from '../lab/paths.ts';
import { labUp } from '../lab/up.ts';
import { intFlag, type Command } from '../../base/cli.ts';
import { table } from './output.ts';

const ACTIONS = ['up', 'down', 'status', 'stop-host', 'start-host', 'freeze-host', 'thaw-host'];

export const lab: Command = {
  name: 'lab',
  summary: 'a local lab of simulated VPS hosts (own namespaces, init, sshd on 127.0.1.N)',
  usage: [
    'vzmaster lab up [--hosts N] [--busybox K] [--vendors V] [--fresh F] | down | status [--json] | stop-host NAME | start-host NAME | freeze-host NAME | thaw-host NAME [--dir DIR]',
    '  example: vzmaster lab up --hosts 3 --busybox 1 && vzmaster nodes',
    '  --fresh F adds F hosts as a vendor hands them over (root password in DIR/hosts/NAME/root-password), for "vzmaster newnode"',
    '  --dir defaults to $VZ_LAB_DIR, else /var/lib/vz-lab',
  ].join('\n'),
  options: {
    dir: { type: 'string' },
    hosts: { type: 'string' },
    busybox: { type: 'string' },
    vendors: { type: 'string' },
    fresh: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  async run({ values, positionals }) {
    const [action, name, ...extra] = positionals;
    if (!action || !ACTIONS.includes(action)) throw new VzError('usage', `lab: ${action ? `unknown action ${JSON.stringify(action)}` : 'an action is needed'}: use ${ACTIONS.join(', ')}`);
    const needsName = action.endsWith('-host');
    if (needsName && !name) throw new VzError('usage', `lab ${action}: name the host, e.g. "vzmaster lab ${action} vps1"`);
    if (extra.length > 0 || (!needsName && name !== undefined)) throw new VzError('usage', `lab ${action}: unexpected argument ${JSON.stringify(needsName ? extra[0] : name)}`);
    const dir = defaultLabDir(values.dir as string | undefined);
    if (action === 'up') {
      const hosts = intFlag(lab, 'hosts', values.hosts, 3);
      const busybox = intFlag(lab, 'busybox', values.busybox, hosts >= 3 ? 1 : 0);
      const vendors = intFlag(lab, 'vendors', values.vendors, Math.min(hosts, 3));
      const fresh = intFlag(lab, 'fresh', values.fresh, 0);
      const state = await labUp({ dir, hosts, busybox, vendors, fresh });
      process.stdout.write(table(['HOST', 'VENDOR', 'INIT', 'ADDRESS', 'ROLE'], state.hosts.map((h) => [h.name, h.vendor, h.init, `${h.address}:${h.port}`, h.fresh ? 'fresh (newnode)' : 'host'])));
      process.stdout.write(`lab up in ${dir}; inventory ${labPaths(dir).inventory}\n`);
      return 0;
    }
    if (action === 'down') {
      const { hosts } = await labDown(dir);
      process.stdout.write(hosts ? `lab down: ${hosts} host${hosts === 1 ? '' : 's'} stopped, ${dir} cleaned\n` : `no lab in ${dir}: nothing to do\n`);
      return 0;
    }
    if (action === 'status') {
      const statuses = await labStatus(dir);
      if (values.json) process.stdout.write(`${JSON.stringify(statuses.map((s) => ({ name: s.host.name, state: s.state, init: s.host.init, vendor: s.host.vendor, address: s.host.address, port: s.host.port, fresh: s.host.fresh === true })), null, 2)}\n`);
      else process.stdout.write(table(['HOST', 'STATE', 'INIT', 'VENDOR', 'ADDRESS'], statuses.map((s) => [s.host.name, s.state, s.host.init, s.host.vendor, `${s.host.address}:${s.host.port}`])));
      return statuses.every((s) => s.state === 'up') ? 0 : 4;
    }
    if (action === 'freeze-host' || action === 'thaw-host') {
      const host = await freezeHost(dir, name, action === 'freeze-host');
      process.stdout.write(`${host.name} ${action === 'freeze-host' ? 'frozen (every process stopped)' : 'thawed'}\n`);
      return 0;
    }
    const host = action === 'stop-host' ? await stopHost(dir, name) : await startHost(dir, name);
    process.stdout.write(`${host.name} ${action === 'stop-host' ? 'stopped' : `up on ${host.address}:${host.port}`}\n`);
    return 0;
  },
};
