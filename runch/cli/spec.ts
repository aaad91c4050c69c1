import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../../base/atomic.ts';
import { VzError } from '../../base/errors.ts';
import { specTemplate } from '../oci/defaults.ts';
import { defineCommand } from './command.ts';

export const spec = defineCommand({
  name: 'spec',
  summary: 'write a config.json for a chroot container',
  usage:
    'runch spec [--bundle DIR] [--env K=V]... [--user UID:GID] [--cwd DIR] [-- ARGS...]\n  example: runch spec --bundle ./hello --env GREETING=hi -- /bin/echo hello',
  options: {
    bundle: { type: 'string', short: 'b', default: '.' },
    env: { type: 'string', multiple: true, default: [] },
    user: { type: 'string' },
    cwd: { type: 'string' },
  },
  async run({ values, positionals }) {
    const path = join(values.bundle, 'config.json');
    if (existsSync(path)) throw new VzError('exists', `File ${path} exists. Remove it first`);
    const config = specTemplate(positionals.length > 0 ? positionals : undefined);
    for (const entry of values.env) {
      if (!/^[^=]+=/.test(entry)) throw new VzError('usage', `spec: --env "${entry}" must be KEY=VALUE`);
      config.process.env = [...(config.process.env ?? []).filter((e) => !e.startsWith(entry.slice(0, entry.indexOf('=') + 1))), entry];
    }
    if (values.user !== undefined) {
      const match = /^(\d+):(\d+)$/.exec(values.user);
      if (!match) throw new VzError('usage', `spec: --user "${values.user}" must be UID:GID, numbers such as 1000:1000`);
      config.process.user = { uid: Number(match[1]), gid: Number(match[2]) };
    }
    if (values.cwd !== undefined) config.process.cwd = values.cwd;
    await writeAtomic(path, `${JSON.stringify(config, null, 2)}\n`);
    return 0;
  },
});
