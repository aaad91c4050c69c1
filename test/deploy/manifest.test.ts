import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadManifest } from '../../master-cli/deploy/manifest.ts';
import { scratch } from '../helpers/fixtures.ts';

t.test('a manifest loads with defaults and paths relative to itself', async (t) => {
  const dir = scratch(t);
  const file = join(dir, 'hello.yml');
  writeFileSync(file, 'app: hello\nbundle: ./hello\nreplicas: 2\nenv:\n  GREETING: "hi; $(rm -rf /)"\n  PORT: 8080\n');
  const m = loadManifest(file);
  t.equal(m.app, 'hello');
  t.equal(m.bundle, join(dir, 'hello'));
  t.equal(m.replicas, 2);
  t.same(m.env, { GREETING: 'hi; $(rm -rf /)', PORT: '8080' });
  t.equal(m.restart, 'always');
  t.same(m.rolling, { batch: 1, minUptime: 3, timeout: 60 });
});

t.test('wrong manifests: one line naming the field', async (t) => {
  const dir = scratch(t);
  const cases: [string, RegExp][] = [
    ['app: Hello World\nbundle: x\n', /app: must be 1-32 lower-case/],
    ['app: a\nbundle: x\nreplicas: two\n', /replicas: .*number/i],
    ['app: a\n', /image: give exactly one of image .* or bundle/],
    ['app: a\nbundle: x\nrestart: sometimes\n', /restart: must be no, on-failure/],
    ['app: a\nbundle: x\nport: 80\n', /Unrecognized key.*port/i],
    ['app: [a\n', /not valid YAML/],
  ];
  for (const [text, pattern] of cases) {
    const file = join(dir, 'm.yml');
    writeFileSync(file, text);
    t.throws(() => loadManifest(file), pattern, text.trim());
  }
  t.throws(() => loadManifest(join(dir, 'missing.yml')), /cannot be read/);
});
