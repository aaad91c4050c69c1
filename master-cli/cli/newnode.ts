import { VzError } from '../../base/errors.ts';
import { resolveConfig } from '../config/load.ts';
import { newNode } from '../nodes/newnode.ts';
import { defineVerb, intFlag } from '../../base/cli.ts';
import { humanBytes, table } from './output.ts';
import { askPassword, passwordFromFile } from './password.ts';

export const newnode = defineVerb({
  name: 'newnode',
  summary: 'turn a fresh VPS (IP + root password) into a host: key, sudo user, Node, runch; add it to the inventory',
  usage: [
    'vzmaster newnode ADDRESS --vendor NAME [-k | --password-file FILE] [--name NAME] [--port N] [--user vz] [--key FILE] [--node-dist FILE] [--no-inventory] [-i INVENTORY] [--config FILE] [--json]',
    '  example: vzmaster newnode 203.0.113.7 -k --vendor acme --name web3',
    '  -k asks for root\'s password (from a pipe: its first line); without it the host must already take the key as --user',
  ].join('\n'),
  options: {
    'ask-pass': { type: 'boolean', short: 'k', default: false },
    'password-file': { type: 'string' },
    name: { type: 'string' },
    vendor: { type: 'string' },
    port: { type: 'string', short: 'p' },
    user: { type: 'string', default: 'vz' },
    key: { type: 'string' },
    'node-dist': { type: 'string' },
    'no-inventory': { type: 'boolean', default: false },
    inventory: { type: 'string', short: 'i' },
    config: { type: 'string' },
    json: { type: 'boolean', default: false },
    quiet: { type: 'boolean', short: 'q', default: false },
  },
  async run({ values, positionals }) {
    const [address, ...extra] = positionals;
    if (!address) throw new VzError('usage', `newnode: name the host's address; usage: ${newnode.usage.split('\n')[0]}`);
    if (extra.length > 0) throw new VzError('usage', `newnode: unexpected argument ${JSON.stringify(extra[0])}`);
    if (values.vendor === undefined) throw new VzError('usage', 'newnode: --vendor is needed (the VPS vendor, e.g. --vendor acme): deploy spreads replicas over vendors');
    if (values['ask-pass'] && values['password-file'] !== undefined) throw new VzError('usage', 'newnode: give -k or --password-file, not both');
    const config = resolveConfig({ config: values.config, inventory: values.inventory });
    const password = values['password-file'] !== undefined ? passwordFromFile(values['password-file']) : values['ask-pass'] ? await askPassword(`root@${address}'s password: `) : undefined;
    const quiet = Boolean(values.quiet || values.json);
    const result = await newNode(config, {
      address,
      port: intFlag(newnode, 'port', values.port, 22),
      name: values.name,
      vendor: values.vendor,
      user: values.user,
      password,
      keyFile: values.key,
      nodeDist: values['node-dist'],
      addToInventory: !values['no-inventory'],
      onStep: quiet ? undefined : (label, r) => process.stderr.write(`newnode ${label}: ${r.host} ${r.status}${r.message ? ` (${r.message})` : ''}\n`),
    });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    }
    const f = result.facts;
    process.stdout.write(table(['HOST', 'GROUP', 'OS', 'INIT', 'RAM', 'FREE DISK', 'NODE', 'RUNCH'], [[result.name, result.group, f.os, f.init, humanBytes(f.mem_kb), humanBytes(f.disk_free_kb), f.node, f.runch]]));
    const node = result.nodeInstalled ? `Node ${result.nodeInstalled} installed; ` : '';
    const inventory = result.inventoryChange ? `; ${result.inventoryChange} in ${result.inventory} (group ${result.group})` : '';
    process.stdout.write(`${result.name} is ready (${node}${result.changed ? 'changed' : 'nothing to change'})${inventory}\n`);
    return 0;
  },
});
