import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type RebuildRequest, rebuildRequestSchema } from '../../base/host-contract.ts';
import { withLock } from '../../base/lock.ts';
import { rebuildImage } from '../../image/delta/rebuild.ts';
import type { HostContext } from './context.ts';

/**
 * `runch host rebuild`: the pushed image made here from a base image this host holds and the delta the master copied
 * beside it; image/delta/rebuild.ts checks the base's, the tar's and the image's sha256 before the image gets its
 * name, so `apply` then finds it exactly as a full push leaves it. The delta file goes whatever happens (a refused
 * one would only be sent again); an image already here is left as it is.
 */
export async function rebuildFromDelta(ctx: HostContext, input: RebuildRequest): Promise<{ ok: true; changed: boolean; image: string }> {
  const request = rebuildRequestSchema.parse(input);
  const dir = ctx.config.images;
  const deltaFile = join(dir, request.delta);
  try {
    if (statSync(join(dir, request.image), { throwIfNoEntry: false })?.isFile()) return { ok: true, changed: false, image: request.image };
    mkdirSync(dir, { recursive: true });
    // Two pushes of one image at once would write the same name: one at a time (the second finds it there).
    return await withLock(join(dir, `.rebuild-${request.image}`), `rebuild ${request.image}`, async () => {
      if (statSync(join(dir, request.image), { throwIfNoEntry: false })?.isFile()) return { ok: true as const, changed: false, image: request.image };
      await rebuildImage(join(dir, request.base), deltaFile, dir, request.image);
      return { ok: true as const, changed: true, image: request.image };
    }, 300_000);
  } finally {
    rmSync(deltaFile, { force: true });
  }
}
