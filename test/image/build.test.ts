import { cpSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import t from 'tap';
import { runch, scratch } from '../helpers/fixtures.ts';
import { tool } from './tools.ts';

const EXAMPLES = resolve(import.meta.dirname, '../../examples');
// downloaded .debs are kept between runs: a rerun fetches nothing
const env = { VZ_DEB_CACHE: '/var/tmp/vz-deb-cache' };

/** Two builds of the same recipe into two fresh directories; both digests, the image and its size. */
async function buildTwice(t: Tap.Test, recipe: string, dir: string) {
  const digests: string[] = [];
  let image = '';
  for (const out of ['a', 'b']) {
    const built = await tool('vzimage', ['build', recipe, '-o', join(dir, out)], { env });
    t.equal(built.exitCode, 0, built.stderr);
    image = built.stdout.trim();
    digests.push(/sha256:[0-9a-f]{64}/.exec(built.stderr)?.[0] ?? 'none');
  }
  const size = statSync(image).size;
  t.comment(`${recipe.split('/').pop()}: ${digests[0]}, ${(size / 1048576).toFixed(1)} MiB compressed, ${(gunzipSync(readFileSync(image)).length / 1048576).toFixed(1)} MiB as a tar`);
  t.equal(digests[0], digests[1], `two builds of ${recipe} give the same digest ${digests[0].slice(0, 19)}...`);
  t.match(image, new RegExp(`/${digests[0].slice(7)}\\.tar\\.gz$`), 'the image is named by its digest');
  return { image, size, digest: digests[0] };
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(url, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

t.test('issue 14: vzimage build of nginx from Debian: the same digest twice, and it serves a page under runch', async (t) => {
  const dir = scratch(t);
  // the example recipe, listening on the test's own loopback address
  cpSync(join(EXAMPLES, 'nginx'), join(dir, 'nginx'), { recursive: true });
  cpSync(join(EXAMPLES, 'nginx.vz.yml'), join(dir, 'nginx.vz.yml'));
  const conf = join(dir, 'nginx/nginx.conf');
  writeFileSync(conf, readFileSync(conf, 'utf8').replace('listen 127.0.0.1:8080;', 'listen 127.0.1.14:18014;'));
  const { image, size } = await buildTwice(t, join(dir, 'nginx.vz.yml'), dir);
  t.comment(`nginx image: ${(size / 1024 / 1024).toFixed(1)} MiB compressed (Docker's nginx:1.21.6-alpine: about 23 MB unpacked, docs/image.md)`);
  const again = await tool('vzimage', ['build', join(dir, 'nginx.vz.yml'), '-o', join(dir, 'a')], { env });
  t.match(again.stderr, /unchanged sha256:/, 'a third build with the same inputs reuses the image');
  const bundle = join(dir, 'bundle');
  const unpacked = await tool('vzimage', ['unpack', image, bundle]);
  t.equal(unpacked.exitCode, 0, unpacked.stderr);
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  t.equal(config.annotations['org.vz.image.ports'], '8080/tcp', 'ports are in the config, for information');
  t.same(config.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 4096, hard: 4096 }], 'the recipe\'s rlimit');
  t.notOk(statSync(join(bundle, 'rootfs/usr/share/man'), { throwIfNoEntry: false }), 'man pages trimmed');
  const root = join(dir, 'state');
  const started = await runch(root, ['run', '--detach', '--bundle', bundle, 'nginx14']);
  t.equal(started.exitCode, 0, started.stderr);
  t.teardown(async () => {
    await runch(root, ['kill', 'nginx14', 'KILL']);
    await runch(root, ['delete', '--force', 'nginx14']);
  });
  let page = { status: 0, body: '' };
  for (let i = 0; i < 50 && page.status !== 200; i++) {
    page = await get('http://127.0.1.14:18014/').catch(() => ({ status: 0, body: '' }));
    if (page.status !== 200) await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(page.status, 200, 'nginx answers');
  t.match(page.body, /hello from vz/, 'with the recipe\'s page');
});

t.test('issue 14: vzimage build of a Python program on python3-minimal: the same digest twice, and it runs as its user', async (t) => {
  const dir = scratch(t);
  const { image, size } = await buildTwice(t, join(EXAMPLES, 'python.vz.yml'), dir);
  t.comment(`python image: ${(size / 1024 / 1024).toFixed(1)} MiB compressed (Docker's python:3.8.5-slim: 113 MB unpacked, docs/image.md)`);
  const bundle = join(dir, 'bundle');
  t.equal((await tool('vzimage', ['unpack', image, bundle])).exitCode, 0);
  const ran = await runch(join(dir, 'state'), ['run', '--bundle', bundle, 'py14']);
  t.equal(ran.exitCode, 0, ran.stderr);
  t.match(ran.stdout, /^hello from python 3\.\d+\.\d+ as uid 1000$/);

  // trim.trace: only what the program touches when it runs in the image stays
  cpSync(join(EXAMPLES, 'python'), join(dir, 'python'), { recursive: true });
  const traced = join(dir, 'traced.vz.yml');
  writeFileSync(traced, readFileSync(join(EXAMPLES, 'python.vz.yml'), 'utf8').replace('  paths: [/usr/bin/dpkg, /usr/share/dpkg]\n', '  paths: [/usr/bin/dpkg, /usr/share/dpkg]\n  trace: [/usr/bin/python3, /app/hello.py]\n'));
  const small = await tool('vzimage', ['build', traced, '-o', join(dir, 'traced')], { env });
  t.equal(small.exitCode, 0, small.stderr);
  t.match(small.stderr, /trace: kept what \/usr\/bin\/python3 \/app\/hello\.py touched, removed \d+ entries/);
  const smallSize = statSync(small.stdout.trim()).size;
  t.ok(smallSize < size / 2, `the traced image is under half the size (${(smallSize / 1048576).toFixed(1)} MiB against ${(size / 1048576).toFixed(1)} MiB)`);
  t.comment(`python image trimmed by trace: ${(smallSize / 1024 / 1024).toFixed(1)} MiB compressed`);
  const smallBundle = join(dir, 'small');
  t.equal((await tool('vzimage', ['unpack', small.stdout.trim(), smallBundle])).exitCode, 0);
  const ranSmall = await runch(join(dir, 'state'), ['run', '--bundle', smallBundle, 'py14s']);
  t.equal(ranSmall.exitCode, 0, ranSmall.stderr);
  t.match(ranSmall.stdout, /^hello from python 3\.\d+\.\d+ as uid 1000$/, 'and it still runs');
});

t.test('issue 14: a bad recipe is one line naming the field and the fix, and nothing is written', async (t) => {
  const dir = scratch(t);
  const cases: [string, RegExp][] = [
    ['name: web\nfrom: [{debian: {packages: [nginx-light]}}]\nprocess: {args: [/x], user: root}\n', /process\.user: must be UID:GID, e\.g\. 1000:1000/],
    ['name: web\nfrom: [{tarball: x.tar}]\nprocess: {args: [/x]}\n', /from\[0\]: must be one of \{debian/],
    ['name: web\nfrom: [{dir: .}]\nprocess: {args: [/x]}\nport: [80]\n', /unknown field "port": remove it/],
    ['name: web\nfrom: [{dir: .}]\nprocess: {args: [/x], rlimits: [files=10]}\n', /process\.rlimits\[0\]: .*"files" is no rlimit/],
    ['name: web\nfrom: [{dir: .}]\ntrim: {paths: [/../etc]}\nprocess: {args: [/x]}\n', /trim\.paths\[0\]: must not hold a \.\. component/],
    ['name: web\nfrom: [{debian: {packages: [no-such-package-vz]}}]\nprocess: {args: [/x]}\n', /apt cannot resolve no-such-package-vz: .*Unable to locate package/],
  ];
  for (const [i, [text, why]] of cases.entries()) {
    const recipe = join(dir, `bad${i}.vz.yml`);
    writeFileSync(recipe, text);
    const bad = await tool('vzimage', ['build', recipe, '-o', join(dir, `out${i}`)], { env });
    t.equal(bad.exitCode, 1, `case ${i}: refused`);
    t.match(bad.stderr, why, `case ${i}: says why`);
    t.equal(bad.stderr.trim().split('\n').length, 1, `case ${i}: one line`);
    t.notOk(statSync(join(dir, `out${i}`), { throwIfNoEntry: false }), `case ${i}: nothing written`);
  }
});
