import { resolve } from 'node:path';
import { VzError } from '../../base/errors.ts';
import { lddTrace } from '../ldd-trace.ts';
import { writeSpec } from '../spec.ts';
import { parseUser } from './run.ts';
import { defineVerb } from '../../base/cli.ts';

export const lddTraceCommand = defineVerb({
  name: 'ldd-trace',
  summary: 'copy programs, their loader and shared libraries (and NSS modules) into a new minimal rootfs',
  usage:
    'ldd-trace [-o SPEC] [--user UID:GID] [--user-name NAME] [--nss|--no-nss] DIR PROG...\n' +
    '  example: ldd-trace -o ls.spec --user 1000:1000 ./ls/rootfs /bin/ls\n' +
    '  DIR must not exist or be empty; the spec (sorted host paths) goes to SPEC, by default DIR.spec',
  options: {
    output: { type: 'string', short: 'o' },
    user: { type: 'string' },
    'user-name': { type: 'string', default: 'app' },
    nss: { type: 'boolean' },
    'no-nss': { type: 'boolean' },
  },
  async run({ values, positionals }) {
    const [dir, ...programs] = positionals;
    if (dir === undefined || programs.length === 0) throw new VzError('usage', `ldd-trace needs a directory and at least one program; usage: ${this.usage.split('\n')[0]}`);
    if (values.nss && values['no-nss']) throw new VzError('usage', 'ldd-trace: give --nss or --no-nss, not both');
    const user = values.user === undefined ? undefined : { name: values['user-name'], ...parseUser(values.user) };
    if (user && !/^[a-z_][a-z0-9_-]*$/.test(user.name)) throw new VzError('usage', `--user-name "${user.name}" must be a lower-case login name such as app`);
    const result = await lddTrace(dir, programs, { user, nss: values.nss ? 'yes' : values['no-nss'] ? 'no' : 'auto' });
    const spec = values.output ?? `${resolve(dir)}.spec`;
    await writeSpec(spec, result.paths);
    process.stderr.write(`ldd-trace: ${result.paths.length} paths (${result.machines.join(', ') || 'static'}${result.nss !== 'none' ? `, NSS for ${result.nss}` : ''}) into ${dir}; spec ${spec}\n`);
    return 0;
  },
});
