import { closeSync, existsSync, openSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { VzError } from '../base/errors.ts';
import { checkDigestFormat } from './digest.ts';
import { extractArchive } from './extract.ts';
import { readManifest, type Manifest } from './manifest.ts';

export interface UnpackOptions {
  /** sha256:HEX; by default the manifest beside the image (<hex>.json), else the image's own name. */
  expectedDigest?: string;
}

/** Where the expected digest comes from: the caller, the manifest beside the image, or its name. */
function expected(imagePath: string, given?: string): { digest: string; manifest?: Manifest } {
  if (given !== undefined) return { digest: checkDigestFormat(given) };
  const hex = /^([0-9a-f]{64})\.tar(\.gz|\.zst)?$/.exec(basename(imagePath))?.[1];
  if (hex === undefined) throw new VzError('usage', `cannot verify ${imagePath}: its name is not its sha256 and no digest was given: pass --digest sha256:HEX`);
  const manifestPath = join(dirname(imagePath), `${hex}.json`);
  if (!existsSync(manifestPath)) return { digest: `sha256:${hex}` };
  const manifest = readManifest(manifestPath);
  if (manifest.digest !== `sha256:${hex}`) throw new VzError('invalid-config', `manifest ${manifestPath} names ${manifest.digest}, not the image ${basename(imagePath)}: pack the image again`);
  return { digest: manifest.digest, manifest };
}

/**
 * `vzimage unpack`: verify the image's sha256 (in the same read as the checking pass: a corrupt image is refused
 * before anything is written), then extract it safely into a new directory (see extract.ts). The file is read
 * through one descriptor, so the bytes checked are the bytes extracted.
 */
export async function unpack(imagePath: string, targetDir: string, options: UnpackOptions = {}): Promise<{ digest: string; entries: number; manifest?: Manifest }> {
  const want = expected(imagePath, options.expectedDigest);
  let fd: number;
  try {
    fd = openSync(imagePath, 'r');
  } catch (error) {
    throw new VzError('not-found', `cannot open the image ${imagePath}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  try {
    const corrupt = (actual: string) =>
      new VzError('invalid-config', `image ${imagePath} is corrupt: its sha256 is ${actual.slice(7, 19)}..., expected ${want.digest.slice(7, 19)}...: fetch or pack it again`);
    const { entries } = await extractArchive(fd, targetDir, basename(imagePath), { digest: want.digest, corrupt });
    return { digest: want.digest, entries, manifest: want.manifest };
  } finally {
    closeSync(fd);
  }
}

/** `vzimage import-docker`: a `docker export` tarball (plain or compressed) as a rootfs, with the same checks. */
export async function importDocker(exportPath: string, targetDir: string): Promise<{ entries: number }> {
  let fd: number;
  try {
    fd = openSync(exportPath, 'r');
  } catch (error) {
    throw new VzError('not-found', `cannot open ${exportPath}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  try {
    return await extractArchive(fd, targetDir, basename(exportPath));
  } finally {
    closeSync(fd);
  }
}
