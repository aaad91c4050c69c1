import { VzError } from '../../base/errors.ts';
import { COMPRESSIONS } from '../compression.ts';
import { pack } from '../pack.ts';
import { defineVerb } from '../../base/cli.ts';

export const packCommand = defineVerb({
  name: 'pack',
  summary: 'pack a bundle into a flat tarball named by its sha256, with a manifest beside it',
  usage:
    'vzimage pack BUNDLE [-o DIR] [--app NAME] [--compress gzip|zstd|none]\n' +
    '  example: vzimage pack ./ls-bundle -o ./images --app ls --compress zstd\n' +
    '  prints the image path; DIR defaults to the current directory; SOURCE_DATE_EPOCH fixes every mtime',
  options: {
    output: { type: 'string', short: 'o', default: '.' },
    app: { type: 'string' },
    compress: { type: 'string', default: 'gzip' },
  },
  async run({ values, positionals }) {
    const [bundle, ...rest] = positionals;
    if (bundle === undefined || rest.length > 0) throw new VzError('usage', `pack: usage: ${this.usage.split('\n')[0]}`);
    const compression = COMPRESSIONS.find((c) => c === values.compress);
    if (!compression) throw new VzError('usage', `--compress "${values.compress}" is unknown: use ${COMPRESSIONS.join(', ')}`);
    const result = await pack(bundle, values.output, { app: values.app, compression });
    process.stdout.write(`${result.path}\n`);
    process.stderr.write(`vzimage: ${result.manifest.app} ${result.digest} (${result.manifest.size} bytes, ${compression}); manifest ${result.manifestPath}\n`);
    return 0;
  },
});
