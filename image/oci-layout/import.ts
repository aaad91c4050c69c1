import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { VzError } from '../../base/errors.ts';
import { extractArchive } from '../extract.ts';
import { stage } from '../stage.ts';
import { mergeOver } from './merge.ts';

const dockerManifest = z.array(z.object({ Config: z.string(), Layers: z.array(z.string()) })).min(1);
const descriptor = z.object({ mediaType: z.string().optional(), digest: z.string().regex(/^sha256:[0-9a-f]{64}$/), platform: z.object({ os: z.string(), architecture: z.string() }).optional() });
const ociIndex = z.object({ manifests: z.array(descriptor).min(1) });
const ociManifest = z.object({ layers: z.array(descriptor) });

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

function json(path: string, label: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new VzError('invalid-config', `${label}: cannot read ${path.split('/').slice(-2).join('/')}: ${(error as Error).message}`);
  }
}

/** A blob path inside the layout, never outside it (a digest is hex, so the path is fixed). */
const blob = (dir: string, digest: string) => join(dir, 'blobs', 'sha256', digest.slice(7));

/** The layers, bottom first: docker save's manifest.json, else the OCI layout's index (this machine's platform first). */
function layersOf(dir: string, label: string): string[] {
  if (existsSync(join(dir, 'manifest.json'))) {
    const m = dockerManifest.safeParse(json(join(dir, 'manifest.json'), label));
    if (!m.success) throw new VzError('invalid-config', `${label}: manifest.json is not docker save's: ${m.error.issues[0].message}`);
    if (m.data.length > 1) throw new VzError('invalid-config', `${label} holds ${m.data.length} images: save one (docker save IMAGE)`);
    return m.data[0].Layers.map((layer) => {
      if (layer.split('/').includes('..') || layer.startsWith('/')) throw new VzError('invalid-config', `${label}: layer path "${layer}" leaves the archive`);
      return join(dir, layer);
    });
  }
  if (!existsSync(join(dir, 'index.json'))) throw new VzError('invalid-config', `${label} is neither a docker save tarball (manifest.json) nor an OCI image layout (index.json): for a docker export use vzimage import-docker`);
  let index = ociIndex.safeParse(json(join(dir, 'index.json'), label));
  for (let depth = 0; depth < 4; depth++) {
    if (!index.success) throw new VzError('invalid-config', `${label}: index.json: ${index.error.issues[0].message}`);
    const arch = ARCH[process.arch] ?? process.arch;
    const pick = index.data.manifests.find((d) => d.platform?.architecture === arch && d.platform.os === 'linux') ?? index.data.manifests[0];
    const data = json(blob(dir, pick.digest), label);
    const nested = ociIndex.safeParse(data);
    if (pick.mediaType?.includes('index') || (nested.success && !(data as { layers?: unknown }).layers)) {
      index = nested;
      continue;
    }
    const manifest = ociManifest.safeParse(data);
    if (!manifest.success) throw new VzError('invalid-config', `${label}: manifest ${pick.digest.slice(0, 19)}...: ${manifest.error.issues[0].message}`);
    return manifest.data.layers.map((l) => blob(dir, l.digest));
  }
  throw new VzError('invalid-config', `${label}: image indexes nested too deep`);
}

/**
 * `vzimage import-image`: a `docker save` tarball or an OCI image-layout tarball as one rootfs. The outer archive
 * and every layer are extracted with unpack's checks (a hostile entry refuses the whole image), the layers applied
 * bottom first with their whiteouts (`.wh.NAME`, `.wh..wh..opq`), built beside DIR and renamed into place.
 */
export async function importImage(file: string, targetDir: string): Promise<{ layers: number }> {
  const label = file.split('/').pop() ?? file;
  const scratch = mkdtempSync(join(dirname(resolve(targetDir)), '.vz-import-'));
  try {
    const outer = join(scratch, 'archive');
    await extractFile(file, outer);
    const layers = layersOf(outer, label);
    return await stage(targetDir, async (tmp) => {
      for (const [i, layer] of layers.entries()) {
        if (!existsSync(layer)) throw new VzError('invalid-config', `${label}: layer ${i + 1} (${layer.slice(outer.length + 1)}) is missing from the archive`);
        const tree = join(scratch, `layer-${i}`);
        mkdirSync(tree);
        await extractFile(layer, tree);
        await mergeOver(tree, tmp, true);
        rmSync(tree, { recursive: true, force: true });
      }
      return { layers: layers.length };
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function extractFile(path: string, target: string): Promise<void> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new VzError('not-found', `cannot open ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  try {
    await extractArchive(fd, target, path.split('/').pop() ?? path);
  } finally {
    closeSync(fd);
  }
}
