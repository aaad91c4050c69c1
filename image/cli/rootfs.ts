import { VzError } from '../../base/errors.ts';
import { rootfsFromSpec } from '../rootfs.ts';
import { readSpec } from '../spec.ts';
import type { Command } from './run.ts';

export const rootfsCommand: Command = {
  name: 'rootfs',
  summary: 'build a rootfs from a spec (the host paths to copy, one per line)',
  usage:
    'vzimage rootfs from-spec SPEC DIR\n' +
    '  example: strace-trace -o perl.spec -- perl -MPOSIX -e 1 && vzimage rootfs from-spec perl.spec ./perl/rootfs\n' +
    '  files, directories (the directory alone) and symlinks keep their modes, owners and times; DIR must not exist or be empty',
  options: {},
  async run({ positionals }) {
    const [sub, spec, dir, ...rest] = positionals;
    if (sub !== 'from-spec' || spec === undefined || dir === undefined || rest.length > 0)
      throw new VzError('usage', `rootfs: usage: ${this.usage.split('\n')[0]}`);
    const result = await rootfsFromSpec(readSpec(spec), dir);
    process.stderr.write(`vzimage: ${result.paths.length} paths into ${dir}${result.skipped.length > 0 ? `; skipped (not files, directories or symlinks): ${result.skipped.join(' ')}` : ''}\n`);
    return 0;
  },
};
