import { VzError } from '../../base/errors.ts';
import { parseRlimit } from '../../runch/oci/rlimit-text.ts';
import { makeBundle } from '../bundle.ts';
import { parseUser } from './run.ts';
import { defineVerb } from '../../base/cli.ts';

export const bundleCommand = defineVerb({
  name: 'bundle',
  summary: 'make an OCI bundle (rootfs + config.json from runch\'s spec template) that runch runs',
  usage:
    'vzimage bundle ROOTFS OUTDIR [--env K=V]... [--user UID:GID] [--cwd DIR] [--rlimit NAME=SOFT[:HARD]]... --args PROG [ARG...]\n' +
    '  example: vzimage bundle ./redis/rootfs ./redis-bundle --user 1000:1000 --rlimit nofile=65536 --args /usr/bin/redis-server\n' +
    '  --rlimit replaces the template\'s limit of that name (1024 open files by default): nofile=65536, core=0, nproc=512:1024\n' +
    '  everything after --args (or --) is the program and its arguments; OUTDIR must not exist or be empty',
  options: {
    env: { type: 'string', multiple: true, default: [] },
    user: { type: 'string' },
    cwd: { type: 'string' },
    rlimit: { type: 'string', multiple: true, default: [] },
  },
  async run({ values, positionals }) {
    const [rootfs, outDir, ...args] = positionals;
    if (rootfs === undefined || outDir === undefined) throw new VzError('usage', `bundle: usage: ${this.usage.split('\n')[0]}`);
    const { bundle } = await makeBundle(rootfs, outDir, {
      args,
      env: values.env,
      user: values.user === undefined ? undefined : parseUser(values.user),
      cwd: values.cwd,
      rlimits: values.rlimit.map((text) => parseRlimit(text)),
    });
    process.stderr.write(`vzimage: bundle ${bundle} (run it: runch run --bundle ${bundle} ID)\n`);
    return 0;
  },
});
