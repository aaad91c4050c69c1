import { VzError } from '../../base/errors.ts';
import { rootfsFromSpec } from '../rootfs.ts';
import { writeSkeleton } from '../skeleton.ts';
import { readSpec } from '../spec.ts';
import { parseUser } from './run.ts';
import { defineVerb } from '../../base/cli.ts';

export const rootfsCommand = defineVerb({
  name: 'rootfs',
  summary: 'build a rootfs from a spec (the host paths to copy, one per line)',
  usage:
    'vzimage rootfs from-spec SPEC DIR [--user UID:GID] [--user-name NAME]\n' +
    '  example: strace-trace -o perl.spec -- perl -MPOSIX -e 1 && vzimage rootfs from-spec perl.spec ./perl/rootfs --user 1000:1000\n' +
    '  files, directories (the directory alone) and symlinks keep their modes, owners and times; DIR must not exist or be empty;\n' +
    '  the skeleton runch expects is added where the spec has none (/tmp, /run, /etc/passwd with root, nobody and --user)',
  options: { user: { type: 'string' }, 'user-name': { type: 'string', default: 'app' } },
  async run({ values, positionals }) {
    const [sub, spec, dir, ...rest] = positionals;
    if (sub !== 'from-spec' || spec === undefined || dir === undefined || rest.length > 0)
      throw new VzError('usage', `rootfs: usage: ${this.usage.split('\n')[0]}`);
    const user = values.user === undefined ? undefined : { name: values['user-name'], ...parseUser(values.user) };
    if (user && !/^[a-z_][a-z0-9_-]*$/.test(user.name)) throw new VzError('usage', `--user-name "${user.name}" must be a lower-case login name such as app`);
    const paths = readSpec(spec);
    // A program that resolves names (NSS modules or nsswitch.conf in its spec) gets a neutral hosts file.
    const nss = paths.some((p) => /\/libnss_|^\/etc\/nsswitch\.conf$/.test(p));
    let skeleton: string[] = [];
    const result = await rootfsFromSpec(paths, dir, (tmp) => {
      skeleton = writeSkeleton(tmp, { user, nss });
    });
    const extra = [skeleton.length > 0 ? `; skeleton: ${skeleton.join(' ')}` : '', result.skipped.length > 0 ? `; skipped (not files, directories or symlinks): ${result.skipped.join(' ')}` : ''];
    process.stderr.write(`vzimage: ${result.paths.length} paths into ${dir}${extra.join('')}\n`);
    return 0;
  },
});
