import { VzError } from '../../base/errors.ts';
import { buildImage } from '../build/index.ts';
import { defineVerb } from '../../base/cli.ts';

function human(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

export const buildCommand = defineVerb({
  name: 'build',
  summary: 'build a packed image from a recipe (Debian packages, a directory, a docker export, traced programs)',
  usage:
    'vzimage build RECIPE [-o DIR] [--deb-cache DIR]\n' +
    '  example: vzimage build examples/nginx.vz.yml -o ./images     # prints ./images/<sha256>.tar.gz\n' +
    '  the same recipe and inputs give the same digest; unchanged inputs reuse the last image in DIR (default .)',
  options: {
    output: { type: 'string', short: 'o', default: '.' },
    'deb-cache': { type: 'string' },
  },
  async run({ values, positionals }) {
    const [recipe, ...rest] = positionals;
    if (recipe === undefined || rest.length > 0) throw new VzError('usage', `build: usage: ${this.usage.split('\n')[0]}`);
    const result = await buildImage(recipe, values.output, {
      debCache: values['deb-cache'],
      log: (line) => process.stderr.write(`vzimage: build: ${line}\n`),
    });
    process.stderr.write(`vzimage: ${result.cached ? 'unchanged' : 'built'} ${result.digest} (${human(result.size)}${result.packages ? `, ${result.packages} Debian packages` : ''})\n`);
    process.stdout.write(`${result.image}\n`);
    return 0;
  },
});
