import { VzError } from '../../base/errors.ts';
import { exportImage } from '../oci-layout/export.ts';
import { defineVerb } from '../../base/cli.ts';

export const exportCommand = defineVerb({
  name: 'export',
  summary: 'write a vz image as an OCI image-layout tarball that `docker load` and `podman load` also read',
  usage:
    'vzimage export IMAGE OUT.tar [--tag NAME[:TAG]]\n' +
    '  example: vzimage export ./images/<sha256>.tar.gz web.oci.tar --tag web:1 && podman load -i web.oci.tar\n' +
    '  the tag defaults to the manifest\'s app name; the image is verified first, as unpack verifies it',
  options: { tag: { type: 'string' } },
  async run({ values, positionals }) {
    const [image, out, ...rest] = positionals;
    if (image === undefined || out === undefined || rest.length > 0) throw new VzError('usage', `export: usage: ${this.usage.split('\n')[0]}`);
    let tag = values.tag;
    if (tag === undefined) {
      const { readManifest } = await import('../manifest.ts');
      const { dirname, join, basename } = await import('node:path');
      const hex = /^([0-9a-f]{64})\./.exec(basename(image))?.[1];
      tag = hex === undefined ? undefined : readManifest(join(dirname(image), `${hex}.json`)).app;
      if (tag === undefined) throw new VzError('usage', `export: ${image} has no manifest beside it to name it: give --tag NAME[:TAG]`);
    }
    const result = await exportImage(image, out, tag);
    process.stderr.write(`vzimage: ${result.path} (${tag}, manifest ${result.digest}, ${(result.size / 1048576).toFixed(1)} MiB)\n`);
    return 0;
  },
});
