import { VzError } from '../../base/errors.ts';
import { importDocker } from '../unpack.ts';
import { defineVerb } from '../../base/cli.ts';

export const importDockerCommand = defineVerb({
  name: 'import-docker',
  summary: 'turn a `docker export` tarball into a rootfs (same safety checks as unpack)',
  usage:
    'vzimage import-docker EXPORT.tar DIR\n' +
    '  example: docker export web1 > web1.tar && vzimage import-docker web1.tar ./web/rootfs\n' +
    '  DIR must not exist or be empty; then: vzimage bundle ./web/rootfs ./web-bundle --args /app/start',
  options: {},
  async run({ positionals }) {
    const [file, dir, ...rest] = positionals;
    if (file === undefined || dir === undefined || rest.length > 0) throw new VzError('usage', `import-docker: usage: ${this.usage.split('\n')[0]}`);
    const result = await importDocker(file, dir);
    process.stderr.write(`vzimage: ${result.entries} entries from ${file} into ${dir}\n`);
    return 0;
  },
});
