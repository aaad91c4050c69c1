import { VzError } from '../../base/errors.ts';
import { makeBundle } from '../bundle.ts';
import { parseUser, type Command } from './run.ts';

export const bundleCommand: Command = {
  name: 'bundle',
  summary: 'make an OCI bundle (rootfs + config.json from runch\'s spec template) that runch runs',
  usage:
    'vzimage bundle ROOTFS OUTDIR [--env K=V]... [--user UID:GID] [--cwd DIR] --args PROG [ARG...]\n' +
    '  example: vzimage bundle ./ls/rootfs ./ls-bundle --user 1000:1000 --args /bin/ls -l /\n' +
    '  everything after --args (or --) is the program and its arguments; OUTDIR must not exist or be empty',
  options: {
    env: { type: 'string', multiple: true, default: [] },
    user: { type: 'string' },
    cwd: { type: 'string' },
  },
  async run({ values, positionals }) {
    const [rootfs, outDir, ...args] = positionals;
    if (rootfs === undefined || outDir === undefined) throw new VzError('usage', `bundle: usage: ${this.usage.split('\n')[0]}`);
    const { bundle } = await makeBundle(rootfs, outDir, {
      args,
      env: values.env as string[],
      user: values.user === undefined ? undefined : parseUser(values.user as string),
      cwd: values.cwd as string | undefined,
    });
    process.stderr.write(`vzimage: bundle ${bundle} (run it: runch run --bundle ${bundle} ID)\n`);
    return 0;
  },
};
