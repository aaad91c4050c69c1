import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import t from 'tap';
import { scratch } from '../helpers/fixtures.ts';
import { leftovers, rawTar, tool, type RawEntry } from './tools.ts';

// three layers, bottom first: a base, one that deletes and empties, one that replaces a directory by a file
const LAYERS: RawEntry[][] = [
  [
    { path: 'etc/', type: 'Directory' },
    { path: 'etc/keep', body: 'kept\n' },
    { path: 'etc/gone', body: 'deleted above\n' },
    { path: 'var/', type: 'Directory' },
    { path: 'var/cache/', type: 'Directory' },
    { path: 'var/cache/old', body: 'emptied above\n' },
    { path: 'opt/', type: 'Directory' },
    { path: 'opt/thing/', type: 'Directory' },
    { path: 'opt/thing/inside', body: 'x' },
    { path: 'bin', type: 'SymbolicLink', linkpath: 'usr/bin' },
  ],
  [
    { path: 'etc/', type: 'Directory' },
    { path: 'etc/.wh.gone', body: '' },
    { path: 'var/', type: 'Directory' },
    { path: 'var/cache/', type: 'Directory' },
    { path: 'var/cache/.wh..wh..opq', body: '' },
    { path: 'var/cache/new', body: 'new\n' },
  ],
  [{ path: 'opt/', type: 'Directory' }, { path: 'opt/thing', body: 'now a file\n' }, { path: 'etc/', type: 'Directory' }, { path: 'etc/keep', body: 'kept, updated\n' }],
];

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A `docker save` tarball (manifest.json + <id>/layer.tar) of these layers. */
function dockerSave(layers: RawEntry[][]): Buffer {
  const files: { path: string; data?: Buffer }[] = [];
  const paths: string[] = [];
  for (const [i, layer] of layers.entries()) {
    files.push({ path: `l${i}/` }, { path: `l${i}/layer.tar`, data: rawTar(layer) });
    paths.push(`l${i}/layer.tar`);
  }
  files.push({ path: 'manifest.json', data: Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: ['t:1'], Layers: paths }])) }, { path: 'config.json', data: Buffer.from('{}') });
  return outerTar(files);
}

/** An OCI image-layout tarball of these layers, gzip-compressed blobs. */
function ociLayout(layers: RawEntry[][]): Buffer {
  const blobs: { path: string; data?: Buffer }[] = [{ path: 'blobs/' }, { path: 'blobs/sha256/' }];
  const add = (data: Buffer) => {
    const hex = sha(data);
    blobs.push({ path: `blobs/sha256/${hex}`, data });
    return { digest: `sha256:${hex}`, size: data.length };
  };
  const layerDescs = layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...add(gzipSync(rawTar(l))) }));
  const config = add(Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'));
  const manifest = add(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: layerDescs })));
  const index = { schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }] };
  return outerTar([{ path: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') }, { path: 'index.json', data: Buffer.from(JSON.stringify(index)) }, ...blobs]);
}

/** An outer archive whose files are bytes (rawTar's bodies are text): layer tarballs, gzip blobs. */
function outerTar(entries: { path: string; data?: Buffer }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const dir = e.data === undefined;
    const header = new Header({ path: e.path, type: dir ? 'Directory' : 'File', mode: dir ? 0o755 : 0o644, size: e.data?.length ?? 0, uid: 0, gid: 0, mtime: new Date(1_700_000_000_000) });
    header.encode();
    blocks.push(header.block as Buffer);
    if (e.data && e.data.length > 0) blocks.push(e.data, Buffer.alloc((512 - (e.data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

t.test('issue 14: vzimage import-image applies docker save and OCI layout layers in order, with whiteouts and opaque dirs', async (t) => {
  const dir = scratch(t);
  for (const [kind, bytes] of [['save', dockerSave(LAYERS)], ['oci', ociLayout(LAYERS)]] as const) {
    const file = join(dir, `${kind}.tar`);
    writeFileSync(file, bytes);
    const root = join(dir, `${kind}-root`);
    const imported = await tool('vzimage', ['import-image', file, root]);
    t.equal(imported.exitCode, 0, `${kind}: ${imported.stderr}`);
    t.match(imported.stderr, /3 layers/, kind);
    t.equal(readFileSync(join(root, 'etc/keep'), 'utf8'), 'kept, updated\n', `${kind}: an upper layer's file wins`);
    t.notOk(existsSync(join(root, 'etc/gone')), `${kind}: .wh.gone deleted etc/gone`);
    t.same(readdirSync(join(root, 'var/cache')), ['new'], `${kind}: the opaque directory holds only the upper layer's entries`);
    t.ok(lstatSync(join(root, 'opt/thing')).isFile(), `${kind}: a file over a directory replaces it`);
    t.equal(readlinkSync(join(root, 'bin')), 'usr/bin', `${kind}: symlinks kept`);
    t.notOk(readdirSync(join(root, 'etc')).some((n) => n.startsWith('.wh.')), `${kind}: no whiteout file is left`);
  }
});

t.test('issue 14: a hostile layer refuses the whole image, as unpack refuses it, and leaves nothing', async (t) => {
  const dir = scratch(t);
  const cases: [RegExp, RawEntry[]][] = [
    [/\.\./, [{ path: '../escape', body: 'x' }]],
    [/symlink/, [{ path: 'evil', type: 'SymbolicLink', linkpath: '/etc' }, { path: 'evil/passwd', body: 'x' }]],
  ];
  for (const [why, layer] of cases) {
    const file = join(dir, 'bad.tar');
    writeFileSync(file, dockerSave([LAYERS[0], layer]));
    const bad = await tool('vzimage', ['import-image', file, join(dir, 'root')]);
    t.equal(bad.exitCode, 1, 'refused');
    t.match(bad.stderr, why, bad.stderr);
    t.notOk(existsSync(join(dir, 'root')), 'no target');
    t.same(leftovers(dir).filter((n) => n !== 'bad.tar'), [], 'no temp directory left');
    t.notOk(readdirSync(dir).some((n) => n.startsWith('.vz-import-')), 'no scratch left');
  }
});

t.test('issue 14: a symlink of a lower layer is never followed by an upper one (it is replaced, as an overlay shows it)', async (t) => {
  const dir = scratch(t);
  const name = `vz-test-${process.pid}-escape`;
  const file = join(dir, 'cross.tar');
  writeFileSync(file, dockerSave([[{ path: 'evil', type: 'SymbolicLink', linkpath: '/var/tmp' }], [{ path: 'evil/', type: 'Directory' }, { path: `evil/${name}`, body: 'x' }]]));
  const root = join(dir, 'root');
  const imported = await tool('vzimage', ['import-image', file, root]);
  t.equal(imported.exitCode, 0, imported.stderr);
  t.ok(lstatSync(join(root, 'evil')).isDirectory(), 'the upper directory replaced the symlink');
  t.ok(existsSync(join(root, 'evil', name)), 'the file is inside the image');
  t.notOk(existsSync(join('/var/tmp', name)), 'nothing was written through the symlink on this machine');
});
