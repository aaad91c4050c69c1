import { VzError } from '../../base/errors.ts';
import { freezeHost, labDown, labStatus, startHost, stopHost } from '../lab/manage.ts';
import { defaultLabDir, labPaths } from '../lab/paths.ts';
import { labUp } from '../lab/up.ts';
import { defineVerb, intFlag } from '../../base/cli.ts';
import { table } from './output.ts';

const ACTIONS = ['up', 'down', 'status', 'stop-host', 'start-host', 'freeze-host', 'thaw-host'];

export const lab = defineVerb({
  name: 'lab',
  summary: 'a local lab of simulated VPS hosts (own namespaces, init, sshd on 127.0.1.N)',
  usage: [
    'vzmaster lab up [--hosts N] [--inits I,I,... | --busybox K] [--trees T,T,... | --release R [--arch A]] [--vendors V] [--fresh F [--fresh-tree T]] | down | status [--json] | stop-host NAME | start-host NAME | freeze-host NAME | thaw-host NAME [--dir DIR]',
    '  example: vzmaster lab up --hosts 3 --busybox 1 && vzmaster nodes',
    '  example: vzmaster lab up --inits sysvinit,busybox,systemd,openrc --trees machine,machine,bullseye,machine',
    '  --inits: one init per host (sysvinit, busybox, systemd, openrc); --busybox K: the last K hosts busybox, the rest sysvinit',
    '  --trees: one root per host: machine (this machine\'s /) or RELEASE[-ARCH] (bullseye, bookworm, trixie; amd64, i386), built once and cached',
    '  --fresh F adds F hosts as a vendor hands them over (root password in DIR/hosts/NAME/root-password), for "vzmaster newnode"; --fresh-tree T gives them a tree (sysvinit)',
    '  --dir defaults to $VZ_LAB_DIR, else /var/lib/vz-lab',
  ].join('\n'),
  options: {
    dir: { type: 'string' },
    hosts: { type: 'string' },
    busybox: { type: 'string' },
    inits: { type: 'string' },
    trees: { type: 'string' },
    release: { type: 'string' },
    arch: { type: 'string' },
    'fresh-tree': { type: 'string' },
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
    const dir = defaultLabDir(values.dir);
    if (action === 'up') {
      const number = (flag: string, value: string | undefined) => (value === undefined ? undefined : intFlag(lab, flag, value, 0));
      const state = await labUp({
        dir,
        hosts: number('hosts', values.hosts),
        busybox: number('busybox', values.busybox),
        inits: values.inits,
        trees: values.trees,
        release: values.release,
        arch: values.arch,
        vendors: number('vendors', values.vendors),
        fresh: number('fresh', values.fresh) ?? 0,
        freshTree: values['fresh-tree'],
      });
      process.stdout.write(table(['HOST', 'VENDOR', 'INIT', 'ROOT', 'ADDRESS', 'ROLE'], state.hosts.map((h) => [h.name, h.vendor, h.init, h.tree ?? 'machine', `${h.address}:${h.port}`, h.fresh ? 'fresh (newnode)' : 'host'])));
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
      if (values.json) process.stdout.write(`${JSON.stringify(statuses.map((s) => ({ name: s.host.name, state: s.state, init: s.host.init, tree: s.host.tree ?? 'machine', vendor: s.host.vendor, address: s.host.address, port: s.host.port, fresh: s.host.fresh === true })), null, 2)}\n`);
      else process.stdout.write(table(['HOST', 'STATE', 'INIT', 'ROOT', 'VENDOR', 'ADDRESS'], statuses.map((s) => [s.host.name, s.state, s.host.init, s.host.tree ?? 'machine', s.host.vendor, `${s.host.address}:${s.host.port}`])));
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
});
