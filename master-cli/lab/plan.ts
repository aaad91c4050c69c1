import { VzError } from '../../base/errors.ts';
import { INIT_FLAVOURS, type InitFlavour } from './state.ts';
import { parseTree } from './trees.ts';

export interface HostPlan {
  init: InitFlavour;
  /** A tree name ("bullseye-amd64"), or undefined for the machine's own /. */
  tree?: string;
}

export interface PlanOptions {
  hosts?: number;
  /** The last K hosts under busybox init: the shorthand from before --inits. */
  busybox?: number;
  /** One init per host: "sysvinit,busybox,systemd,openrc". */
  inits?: string;
  /** One root per host: "machine,bullseye,bookworm-i386". */
  trees?: string;
  /** Every host's tree: --release R [--arch A]. */
  release?: string;
  arch?: string;
}

function words(flag: string, list: string): string[] {
  const out = list.split(',').map((w) => w.trim());
  if (out.some((w) => w === '')) throw new VzError('usage', `${flag} ${JSON.stringify(list)} has an empty entry: give one word per host, comma-separated`);
  return out;
}

/**
 * What each host runs: its init and its root. Checked before anything is made, each refusal one line naming the
 * flag. Busybox and OpenRC hosts run only on the machine's own / (the trees hold no busybox).
 */
export function planHosts(options: PlanOptions): HostPlan[] {
  const inits = options.inits === undefined ? undefined : words('--inits', options.inits);
  const trees = options.trees === undefined ? undefined : words('--trees', options.trees);
  if (trees && (options.release !== undefined || options.arch !== undefined)) throw new VzError('usage', '--trees names every host\'s root: drop --release/--arch, or drop --trees');
  if (inits && options.busybox !== undefined) throw new VzError('usage', '--inits names every host\'s init: drop --busybox (its shorthand), or drop --inits');
  const count = options.hosts ?? inits?.length ?? trees?.length ?? 3;
  if (!Number.isInteger(count) || count < 1 || count > 50) throw new VzError('usage', `--hosts ${count} is out of range: use 1 to 50`);
  for (const [flag, list] of [['--inits', inits], ['--trees', trees]] as const)
    if (list && list.length !== count) throw new VzError('usage', `${flag} names ${list.length} host${list.length === 1 ? '' : 's'} but --hosts is ${count}: give one word per host`);
  const busybox = options.busybox ?? (inits ? 0 : count >= 3 ? 1 : 0);
  if (!Number.isInteger(busybox) || busybox < 0 || busybox > count) throw new VzError('usage', `--busybox ${busybox} is out of range: use 0 to --hosts (${count})`);
  const everyTree = options.release !== undefined || options.arch !== undefined ? parseTree(`${options.release ?? 'bookworm'}-${options.arch ?? 'amd64'}`, '--release/--arch') : undefined;
  return Array.from({ length: count }, (_, i): HostPlan => {
    const word = inits?.[i] ?? (i >= count - busybox ? 'busybox' : 'sysvinit');
    if (!(INIT_FLAVOURS as readonly string[]).includes(word)) throw new VzError('usage', `--inits: ${JSON.stringify(word)} is not an init: use ${INIT_FLAVOURS.join(', ')}`);
    const init = word as InitFlavour;
    const tree = trees ? parseTree(trees[i]) : everyTree;
    if (tree && (init === 'busybox' || init === 'openrc')) throw new VzError('usage', `host ${i + 1}: ${init} runs only on the machine's own / (the ${tree} tree holds no busybox): use sysvinit or systemd there, or the root "machine"`);
    return tree ? { init, tree } : { init };
  });
}
