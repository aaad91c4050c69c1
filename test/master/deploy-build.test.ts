import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import t from 'tap';
import { scratch } from '../helpers/fixtures.ts';
import { startLab, type TestLab } from '../helpers/lab.ts';

const EXAMPLES = resolve(import.meta.dirname, '../../examples');
const PORT = 18081;

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((done) => {
    const req = request(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => done({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** The image files in the master's image cache (the lab's state dir). */
function images(lab: TestLab): string[] {
  return readdirSync(join(lab.dir, 'ansible', 'images')).filter((f) => f.endsWith('.tar.gz')).sort();
}

t.test('issue 14: vzmaster deploy with build: builds the nginx recipe, skips an unchanged build, builds a changed one, deploys nothing when the build fails', async (t) => {
  const dir = scratch(t);
  const lab = await startLab(t, { hosts: 1, busybox: 0, env: { VZ_DEB_CACHE: '/var/tmp/vz-deb-cache' } });
  const host = lab.hosts()[0];
  const app = join(dir, 'app');
  cpSync(join(EXAMPLES, 'nginx'), join(app, 'nginx'), { recursive: true });
  const conf = join(app, 'nginx/nginx.conf');
  writeFileSync(conf, readFileSync(conf, 'utf8').replace('listen 127.0.0.1:8080;', `listen ${host.address}:${PORT};`));
  const recipe = readFileSync(join(EXAMPLES, 'nginx.vz.yml'), 'utf8');
  const writeRecipe = (page: string, extraStep = '') => writeFileSync(join(app, 'nginx.vz.yml'), recipe.replace('<h1>hello from vz</h1>', page).replace('run:\n', `run:\n${extraStep}`));
  writeRecipe('<h1>hello from vz</h1>');
  const manifest = join(app, 'web.yml');
  writeFileSync(manifest, `app: web\nbuild: ./nginx.vz.yml\nreplicas: 1\nhealth: { http: { port: ${PORT}, path: / } }\nrolling: { batch: 1, minUptime: 2, timeout: 60 }\n`);
  const page = () => get(`http://${host.address}:${PORT}/`);
  const why = async (r: { exitCode?: number; stdout: string; stderr: string }) => `${r.stderr}${r.stdout}${(await lab.run(['logs', 'web', '-n', '20'])).stdout}`;

  const first = await lab.run(['deploy', manifest], 300_000);
  t.equal(first.exitCode, 0, await why(first));
  t.match(first.stderr, /deploy build: debian: 31 packages for nginx-light|deploy build: debian: \d+ packages for nginx-light/, 'apt resolved the packages');
  t.match(first.stderr, /deploy build: run\[0\]: \/usr\/sbin\/nginx -e stderr -t/, 'the build steps ran');
  const built = /deploy build: built sha256:([0-9a-f]{64}) \((\d+\.\d) MiB, \d+ Debian packages\)/.exec(first.stderr);
  t.ok(built, 'the build printed its digest and the image size');
  t.match(first.stdout, new RegExp(`web: deployed ${built?.[1]}\\.tar\\.gz`), 'the built image is what was deployed');
  t.match((await page()).body, /hello from vz/, 'nginx serves the recipe\'s page on the lab host');
  t.same(images(lab), [`${built?.[1]}.tar.gz`], 'one image in the master\'s cache');

  // the same inputs: no build, the same image, nothing changes on the host
  const second = await lab.run(['deploy', manifest, '--json'], 300_000);
  t.equal(second.exitCode, 0, await why(second));
  const report = JSON.parse(second.stdout);
  t.equal(report.build.cached, true, 'the second deploy did not build (inputs unchanged)');
  t.equal(report.build.digest, `sha256:${built?.[1]}`, 'and deployed the same image');
  t.notMatch(second.stderr, /run\[0\]/, 'no build step ran');
  t.same(report.summary, { ok: 1, changed: 0, failed: 0, unreachable: 0 }, 'nothing to change on the host');
  const plain = await lab.run(['deploy', manifest], 300_000);
  t.match(plain.stderr, new RegExp(`deploy build: unchanged, not built: sha256:${built?.[1]} \\(${built?.[2]} MiB`), 'on the terminal too: unchanged, with the size');

  // a changed recipe: a new image, a new version on the host
  writeRecipe('<h1>version two</h1>');
  const third = await lab.run(['deploy', manifest], 300_000);
  t.equal(third.exitCode, 0, await why(third));
  const rebuilt = /deploy build: built sha256:([0-9a-f]{64})/.exec(third.stderr);
  t.ok(rebuilt && rebuilt[1] !== built?.[1], 'a changed recipe builds a new image');
  t.match(third.stdout, /changed=1/, 'deployed as a new version');
  t.match((await page()).body, /version two/, 'the host serves the new page');

  // a build that fails deploys nothing: the host keeps serving version two
  writeRecipe('<h1>never</h1>', '  - [/usr/sbin/nginx, -t, -c, /etc/nginx/missing.conf]\n');
  const failing = await lab.run(['deploy', manifest], 300_000);
  t.equal(failing.exitCode, 1, 'a failing build is an error');
  t.match(failing.stderr, /recipe run\[0\] \(.*\) exited \d+ inside the image/, 'naming the failed step');
  t.notMatch(failing.stderr, /deploy apply/, 'no host was touched');
  t.equal(images(lab).length, 2, 'no image was added');
  t.match((await page()).body, /version two/, 'the host still serves the last good version');

  // build: stays inside the manifest's directory
  for (const [path, pattern] of [['../elsewhere.vz.yml', /cannot be read|leads out of the manifest's directory/], ['/etc/app.vz.yml', /is absolute/]] as const) {
    writeFileSync(join(dir, 'elsewhere.vz.yml'), recipe);
    const bad = join(app, 'bad.yml');
    writeFileSync(bad, `app: web\nbuild: ${path}\n`);
    const refused = await lab.run(['deploy', bad]);
    t.equal(refused.exitCode, 1, `build: ${path} refused`);
    t.match(refused.stderr, pattern);
    t.equal(refused.stderr.trim().split('\n').length, 1, 'in one line');
  }
  writeFileSync(join(app, 'both.yml'), 'app: web\nbuild: ./nginx.vz.yml\nimage: ./x.tar.gz\n');
  const both = await lab.run(['deploy', join(app, 'both.yml')]);
  t.match(both.stderr, /give exactly one of image \(a packed image\), build \(a vzimage recipe\) or bundle/, 'build and image together are refused');
});
