import { VzError } from '../../base/errors.ts';
import { importImage } from '../oci-layout/import.ts';
import { defineVerb } from '../../base/cli.ts';

export const importImageCommand = defineVerb({
  name: 'import-image',
  summary: 'turn a `docker save` or OCI image-layout tarball into a rootfs (layers in order, whiteouts, unpack\'s checks)',
  usage:
    'vzimage import-image IMAGE.tar DIR\n' +
    '  example: docker save nginx:alpine > nginx.tar && vzimage import-image nginx.tar ./nginx/rootfs\n' +
    '  DIR must not exist or be empty; then: vzimage bundle ./nginx/rootfs ./nginx-bundle --args /usr/sbin/nginx -g "daemon off;"',
  options: {},
  async run({ positionals }) {
    const [file, dir, ...rest] = positionals;
    if (file === undefined || dir === undefined || rest.length > 0) throw new VzError('usage', `import-image: usage: ${this.usage.split('\n')[0]}`);
    const result = await importImage(file, dir);
    process.stderr.write(`vzimage: ${result.layers} layers from ${file} into ${dir}\n`);
    return 0;
  },
});
