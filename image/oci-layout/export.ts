import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createWriteStream, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { VzError } from '../../base/errors.ts';
import { parseConfig } from '../../runch/oci/load.ts';
import type { OciConfig } from '../../runch/oci/schema.ts';
import { tarStream } from '../tar-writer.ts';
import { unpack } from '../unpack.ts';
import { walkSorted } from '../walk.ts';

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
const EPOCH = new Date(0);

/** A tree as one deterministic tar file (the image writer's), returning its sha256 hex and size. */
async function writeTar(root: string, file: string, mtime?: Date): Promise<{ hex: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const count = async function* (chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  };
  const { paths, stats } = walkSorted(root);
  await pipeline(tarStream(root, paths, mtime, () => {}, stats), count, createWriteStream(file, { mode: 0o644 }));
  return { hex: hash.digest('hex'), size };
}

function blob(layout: string, data: string): { digest: string; size: number } {
  const hex = createHash('sha256').update(data).digest('hex');
  writeFileSync(join(layout, 'blobs/sha256', hex), data);
  return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
}

/** Pure: the OCI image config of a runch config.json (the process as Entrypoint and Cmd, env, user, cwd, ports). */
export function imageConfig(config: Pick<OciConfig, 'process' | 'annotations'>, diffId: string) {
  const ports = config.annotations?.['org.vz.image.ports'];
  const user = config.process.user;
  return {
    architecture: ARCH[process.arch] ?? process.arch,
    os: 'linux',
    config: {
      Entrypoint: config.process.args.slice(0, 1),
      Cmd: config.process.args.slice(1),
      Env: config.process.env ?? [],
      User: `${user.uid}:${user.gid}`,
      WorkingDir: config.process.cwd,
      ...(ports ? { ExposedPorts: Object.fromEntries(ports.split(',').map((p) => [p, {}])) } : {}),
      Labels: config.annotations ?? {},
    },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created_by: 'vzimage export' }],
  };
}

/**
 * `vzimage export`: a vz image (verified as unpack verifies it) as one tarball that is both an OCI image layout
 * (oci-layout, index.json, blobs/) and a `docker load` archive (manifest.json naming the same blobs), as Docker 25
 * writes them: one uncompressed layer (the rootfs), the config from config.json. Deterministic: the same image and
 * tag give the same bytes. Written beside `out`, then renamed.
 */
export async function exportImage(imagePath: string, out: string, tag: string): Promise<{ path: string; digest: string; size: number }> {
  if (!/^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?$/.test(tag)) throw new VzError('usage', `--tag "${tag}" must be NAME[:TAG] in lower case, e.g. web:1`);
  const fullTag = tag.includes(':') ? tag : `${tag}:latest`;
  const target = resolve(out);
  const work = mkdtempSync(join(dirname(target), '.vz-export-'));
  try {
    const bundle = join(work, 'bundle');
    await unpack(imagePath, bundle);
    const { config } = parseConfig(readFileSync(join(bundle, 'config.json'), 'utf8'));
    if (!config.process) throw new VzError('invalid-config', `${imagePath} has no process in its config.json: an OCI image needs one; make it with vzimage bundle --args`);
    const layout = join(work, 'layout');
    mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
    const layerFile = join(work, 'layer.tar');
    const layer = await writeTar(join(bundle, 'rootfs'), layerFile);
    renameSync(layerFile, join(layout, 'blobs/sha256', layer.hex));
    const diffId = `sha256:${layer.hex}`;
    const cfg = blob(layout, JSON.stringify(imageConfig({ process: config.process, annotations: config.annotations }, diffId)));
    const manifest = blob(
      layout,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: diffId, size: layer.size }],
      }),
    );
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'io.containerd.image.name': `docker.io/library/${fullTag}`, 'org.opencontainers.image.ref.name': fullTag.split(':')[1] } }] };
    writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
    writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(join(layout, 'manifest.json'), JSON.stringify([{ Config: `blobs/sha256/${cfg.digest.slice(7)}`, RepoTags: [fullTag], Layers: [`blobs/sha256/${layer.hex}`] }]));
    const tmp = join(dirname(target), `.vz-export-${randomBytes(4).toString('hex')}.tmp`);
    try {
      const outer = await writeTar(layout, tmp, EPOCH);
      const fd = openSync(tmp, 'r');
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, target);
      return { path: target, digest: manifest.digest, size: outer.size };
    } catch (error) {
      rmSync(tmp, { force: true });
      throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

