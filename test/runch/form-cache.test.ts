import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { busyboxBundle, runch, scratch } from '../helpers/fixtures.ts';

// Issue 12: `runch run` and `create` start a bundle from its compiled form, cached in the runch root and compiled
// again only when config.json's digest changes; a cache file that is not runch's own, not whole or not of the
// right shape is never trusted.

const formFile = (root: string) => {
  const names = readdirSync(join(root, '.compiled')).filter((name) => name.endsWith('.json'));
  return names.length === 1 ? join(root, '.compiled', names[0]) : `${names.length} forms`;
};
const configOf = (bundle: string) => JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
const setArgs = (bundle: string, args: string[]) => {
  const config = configOf(bundle);
  config.process.args = args;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
};

t.test('run compiles once per config digest: a second run reuses the form, a changed config.json is recompiled', async (t) => {
  const dir = scratch(t);
  const root = join(dir, 'root');
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['echo', 'one'] });
  const first = await runch(root, ['run', '--bundle', bundle, 'a1']);
  t.equal(first.stdout, 'one', first.stderr);
  const file = formFile(root);
  t.equal(statSync(file).mode & 0o777, 0o600, 'the form is private (the env may hold secrets)');
  const before = statSync(file, { bigint: true });
  // Another id, the same bundle: the form serves any id.
  const second = await runch(root, ['run', '--bundle', bundle, 'a2']);
  t.equal(second.stdout, 'one', second.stderr);
  const after = statSync(file, { bigint: true });
  t.equal(after.ino, before.ino, 'the cached form was used, not written again');
  t.equal(after.mtimeNs, before.mtimeNs);

  setArgs(bundle, ['echo', 'two']);
  const changed = await runch(root, ['run', '--bundle', bundle, 'a3']);
  t.equal(changed.stdout, 'two', 'a changed config.json is compiled again before the start');
  t.not(statSync(file, { bigint: true }).ino, before.ino, 'and its new form cached');

  // The same bytes written again (a new mtime): the digest decides, and it is the same.
  const text = readFileSync(join(bundle, 'config.json'));
  rmSync(join(bundle, 'config.json'));
  writeFileSync(join(bundle, 'config.json'), text);
  const same = await runch(root, ['run', '--bundle', bundle, 'a4']);
  t.equal(same.stdout, 'two', same.stderr);
  t.equal(JSON.parse(readFileSync(file, 'utf8')).config.ino, Number(statSync(join(bundle, 'config.json')).ino), 'the form records the new stamp');

  // A config that no longer validates is refused as before: the cache never hides a broken config.json.
  const broken = configOf(bundle);
  broken.process.cwd = 'relative';
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(broken));
  const refused = await runch(root, ['run', '--bundle', bundle, 'a5']);
  t.equal(refused.exitCode, 1);
  t.match(refused.stderr, /cwd/);
  t.notOk(existsSync(join(root, 'a5')), 'no state left');
});

t.test('create + start use the same form', async (t) => {
  const dir = scratch(t);
  const root = join(dir, 'root');
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['sh', '-c', 'echo started > /out; exec sleep 1000'] });
  t.equal((await runch(root, ['run', '--bundle', bundle, '--detach', 'd1'])).exitCode, 0);
  const file = formFile(root);
  const before = statSync(file, { bigint: true });
  t.equal((await runch(root, ['delete', '--force', 'd1'])).exitCode, 0);
  const created = await runch(root, ['create', '--bundle', bundle, 'c1']);
  t.equal(created.exitCode, 0, created.stderr);
  t.equal(JSON.parse((await runch(root, ['state', 'c1'])).stdout).status, 'created');
  t.equal(statSync(file, { bigint: true }).ino, before.ino, 'create reused the form');
  t.equal((await runch(root, ['start', 'c1'])).exitCode, 0);
  for (let i = 0; i < 200 && !existsSync(join(bundle, 'rootfs/out')); i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(readFileSync(join(bundle, 'rootfs/out'), 'utf8'), 'started\n');
  t.equal((await runch(root, ['delete', '--force', 'c1'])).exitCode, 0);
});

t.test('a hostile or corrupt cache file is not trusted: the bundle is compiled again', async (t) => {
  const dir = scratch(t);
  const root = join(dir, 'root');
  const bundle = busyboxBundle(join(dir, 'b'), { args: ['echo', 'genuine'] });
  t.equal((await runch(root, ['run', '--bundle', bundle, 'h0'])).stdout, 'genuine');
  const file = formFile(root);
  const good = JSON.parse(readFileSync(file, 'utf8'));
  // A form that would run something else, with the stamp of the genuine config.json.
  const hostile = JSON.stringify({ ...good, reporting: [...good.reporting.slice(0, -1), 'echo'], env: { ...good.env } }).replace('"genuine"', '"hostile"');
  const cases: [string, () => void][] = [
    ['cut short', () => writeFileSync(file, readFileSync(file, 'utf8').slice(0, 100), { mode: 0o600 })],
    ['not JSON', () => writeFileSync(file, '\u0000garbage', { mode: 0o600 })],
    ['of another shape', () => writeFileSync(file, JSON.stringify({ ...good, version: 2, reporting: 'sh' }), { mode: 0o600 })],
    ['writable by others', () => {
      writeFileSync(file, hostile, { mode: 0o600 });
      chmodSync(file, 0o666);
    }],
    ['a symlink to a file of the same text', () => {
      writeFileSync(join(dir, 'elsewhere.json'), hostile, { mode: 0o600 });
      rmSync(file);
      symlinkSync(join(dir, 'elsewhere.json'), file);
    }],
    ['for another bundle', () => writeFileSync(file, JSON.stringify({ ...JSON.parse(hostile), bundle: '/elsewhere' }), { mode: 0o600 })],
    ['for another config digest', () => writeFileSync(file, JSON.stringify({ ...JSON.parse(hostile), config: { ...good.config, size: 1, sha256: 'a'.repeat(64) } }), { mode: 0o600 })],
  ];
  let n = 0;
  for (const [what, spoil] of cases) {
    rmSync(file, { force: true });
    writeFileSync(file, JSON.stringify(good), { mode: 0o600 });
    spoil();
    const ran = await runch(root, ['run', '--bundle', bundle, `h${++n}`]);
    t.equal(ran.exitCode, 0, `${what}: ${ran.stderr}`);
    t.equal(ran.stdout, 'genuine', `a cache file ${what} is not used`);
    const rewritten = statSync(file, { throwIfNoEntry: false });
    t.ok(rewritten?.isFile() && (rewritten.mode & 0o777) === 0o600, `${what}: a genuine form takes its place`);
  }
});
