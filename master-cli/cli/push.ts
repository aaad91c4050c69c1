import { VzError } from '../../base/errors.ts';
import type { Transfer } from '../app/delta-push.ts';
import { imageDigest, newSteps, pushImage } from '../app/ops.ts';
import { defineVerb } from '../../base/cli.ts';
import { finish, stepPrinter, TARGET_OPTIONS, targetOf } from './target.ts';

function describe(t: Transfer | undefined): string {
  if (!t) return '';
  if (t.how === 'none') return 'already there';
  if (t.how === 'delta') return `delta sent: ${t.bytes} bytes against ${t.base?.slice(0, 16)}`;
  if (t.how === 'full') return `full image sent: ${t.bytes} bytes`;
  return `delta refused (${t.refused}); full image sent: ${t.bytes} bytes in all`;
}

export const push = defineVerb({
  name: 'push',
  summary: 'copy an image to hosts over SSH, checksummed; hosts that hold it get nothing, hosts with an earlier version of the app only a delta',
  usage: 'vzmaster push <IMAGE> [-i INVENTORY] [--limit PATTERN] [--json]\n  example: vzmaster push images/9551d3....tar.gz --limit vendor_a',
  options: { ...TARGET_OPTIONS },
  async run({ values, positionals }) {
    const image = positionals[0];
    if (!image) throw new VzError('usage', `push: the image file is missing; usage: ${push.usage.split('\n')[0]}`);
    imageDigest(image); // a misnamed or corrupt image never leaves the master
    const { config, limit } = targetOf(values);
    const steps = newSteps(config, limit, stepPrinter('push', values.json));
    const { sent, present, transfers } = await pushImage(steps, image);
    const results = steps.summary().map((r) => ({ ...r, result: {}, message: r.message || describe(transfers[r.host]) || (sent.includes(r.host) ? 'sent' : present.includes(r.host) ? 'already there' : '') }));
    // --json: per host, how the image went (delta, full, or a refused delta then full) and the bytes copied.
    return finish(results, values.json, { sent, present, transfers });
  },
});
