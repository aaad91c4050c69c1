import { VzError } from '../../base/errors.ts';
import { unpack } from '../unpack.ts';
import { defineVerb } from '../../base/cli.ts';

export const unpackCommand = defineVerb({
  name: 'unpack',
  summary: 'verify an image\'s sha256, then extract it safely into a new directory',
  usage:
    'vzimage unpack IMAGE DIR [--digest sha256:HEX]\n' +
    '  example: vzimage unpack ./images/5f0c...e1.tar.gz ./ls-bundle2 && runch run --bundle ./ls-bundle2 ls1\n' +
    '  the expected digest: --digest, else the manifest beside the image, else its name; DIR must not exist or be empty',
  options: { digest: { type: 'string' } },
  async run({ values, positionals }) {
    const [image, dir, ...rest] = positionals;
    if (image === undefined || dir === undefined || rest.length > 0) throw new VzError('usage', `unpack: usage: ${this.usage.split('\n')[0]}`);
    const result = await unpack(image, dir, { expectedDigest: values.digest });
    process.stderr.write(`vzimage: ${result.entries} entries of ${result.digest} into ${dir}\n`);
    return 0;
  },
});
