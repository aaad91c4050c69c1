#!/usr/bin/env node
// bench/start: start-up cost of one container, side by side in one run (issue 2).
// Prints medians of N runs (default 25) and ratios against runc: runch run of a /bin/true bundle, the chroot
// floor, the Node floor, runc run (and crun where it starts) on the same rootfs; plus peak RSS of each.
// Run as root: `npm run bench` (it enters a private mount namespace itself).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { enterPrivateMountNamespace } from './private-ns.mjs';

enterPrivateMountNamespace();

const runs = Number(process.env.RUNS ?? 25);
const runch = resolve(import.meta.dirname, '../dist/runch.cjs');
const dir = mkdtempSync(join(tmpdir(), 'vz-bench-start-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// A bundle whose program is busybox's true; runc gets the same rootfs with its own default config.
const bundle = join(dir, 'bundle');
mkdirSync(join(bundle, 'rootfs/bin'), { recursive: true });
copyFileSync('/bin/busybox', join(bundle, 'rootfs/bin/busybox'));
execFileSync('ln', ['-s', 'busybox', join(bundle, 'rootfs/bin/true')]);
execFileSync(runch, ['spec', '--bundle', bundle, '--', '/bin/true']);
const runcBundle = join(dir, 'runc');
mkdirSync(runcBundle);

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}
function ociSpec(tool) {
  rmSync(join(runcBundle, 'config.json'), { force: true });
  execFileSync(tool, ['spec'], { cwd: runcBundle });
  const file = join(runcBundle, 'config.json');
  const config = JSON.parse(execFileSync('cat', [file], { encoding: 'utf8' }));
  config.process.args = ['/bin/true'];
  config.process.terminal = false;
  config.root.readonly = false;
  config.root.path = join(bundle, 'rootfs'); // the very same rootfs
  writeFileSync(file, JSON.stringify(config));
}

let n = 0;
const candidates = [
  { name: 'chroot ROOT /bin/true (floor)', argv: () => ['chroot', join(bundle, 'rootfs'), '/bin/true'] },
  { name: 'node -e 0 (Node floor)', argv: () => [process.execPath, '-e', '0'] },
  { name: 'runch run', argv: () => [runch, '--root', '/run/vz-bench-runch', 'run', '--bundle', bundle, `b${n++}`] },
];
// Init mode's compiled launcher (issue 12) for the same bundle: its tally emptied before each run (by the sh that
// then execs it), so every run is a first spawn with no backoff.
const { compileEntries } = await import('../inittab-gen/compile-entry.ts');
const { launcherPath } = await import('../inittab-gen/launcher.ts');
const { StateStore } = await import('../runch/state/store.ts');
const launchTable = join(dir, 'etc', 'table');
mkdirSync(join(dir, 'etc'));
writeFileSync(launchTable, `l1:respawn:${bundle}\n`);
const launchStore = new StateStore(join(dir, 'launch-root'));
await compileEntries({ table: launchTable, logDir: join(dir, 'log'), store: launchStore }, [{ id: 'l1', bundle, action: 'respawn', stopSignal: 'SIGTERM', stopTimeoutMs: 1000 }], {
  node: process.execPath,
  runch,
  root: launchStore.root,
  table: launchTable,
  logDir: join(dir, 'log'),
});
mkdirSync(launchStore.dir('l1'), { recursive: true });
candidates.push({ name: 'init-mode launcher (compiled sh)', argv: () => ['/bin/sh', '-c', ': >"$1"; exec /bin/sh "$2"', 'sh', join(launchStore.dir('l1'), 'respawn'), launcherPath(launchTable, 'l1')] });
// create + start, then an untimed delete (runch: the container's own /bin/true has exited by then).
const both = (tool, root, b) => {
  const id = `c${n++}`;
  return { argv: ['/bin/sh', '-c', '"$1" --root "$2" create --bundle "$3" "$4" && "$1" --root "$2" start "$4"', 'sh', tool, root, b, id], after: [tool, '--root', root, 'delete', '--force', id] };
};
candidates.push({ name: 'runch create + start', twoStep: () => both(runch, '/run/vz-bench-runch', bundle) });
if (has('runc')) candidates.push({ name: 'runc run', prepare: () => ociSpec('runc'), argv: () => ['runc', '--root', '/run/vz-bench-runc', 'run', '--bundle', runcBundle, `b${n++}`] });
if (has('runc')) candidates.push({ name: 'runc create + start', prepare: () => ociSpec('runc'), twoStep: () => both('runc', '/run/vz-bench-runc', runcBundle) });
if (has('crun')) candidates.push({ name: 'crun run', prepare: () => ociSpec('crun'), argv: () => ['crun', '--root', '/run/vz-bench-crun', 'run', '--bundle', runcBundle, `b${n++}`] });

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const results = [];
for (const c of candidates) {
  c.prepare?.();
  if (c.twoStep) {
    const times = [];
    let error;
    for (let i = 0; i < runs && !error; i++) {
      const { argv, after } = c.twoStep();
      const t0 = process.hrtime.bigint();
      const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.status !== 0) error = (r.stderr || `exit ${r.status}`).trim().split('\n').pop();
      spawnSync('sleep', ['0.05']);
      spawnSync(after[0], after.slice(1));
    }
    results.push(error ? { name: c.name, error } : { name: c.name, ms: median(times), rssKiB: '' });
    continue;
  }
  const first = spawnSync(c.argv()[0], c.argv().slice(1), { encoding: 'utf8' });
  if (first.status !== 0) {
    results.push({ name: c.name, error: (first.stderr || first.stdout || `exit ${first.status}`).trim().split('\n').pop() });
    continue;
  }
  const times = [];
  for (let i = 0; i < runs; i++) {
    const argv = c.argv();
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1));
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`${c.name} failed: ${r.stderr}`);
  }
  // Peak RSS (GNU time %M: the largest resident set among the waited processes).
  const rss = [];
  for (let i = 0; i < 5; i++) {
    const argv = c.argv();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { encoding: 'utf8' });
    rss.push(Number(r.stderr.trim().split('\n').pop()));
  }
  results.push({ name: c.name, ms: median(times), rssKiB: median(rss) });
}

const anchor = results.find((r) => r.name === 'runc run' && r.ms);
const lines = [
  `bench/start: median of ${runs} runs each, node ${process.version}, ${new Date().toISOString()}`,
  '',
  '| command | median ms | vs runc | peak RSS KiB |',
  '|---|---:|---:|---:|',
];
for (const r of results) {
  if (r.error) lines.push(`| ${r.name} | failed: ${r.error} | | |`);
  else lines.push(`| ${r.name} | ${r.ms.toFixed(1)} | ${anchor ? (r.ms / anchor.ms).toFixed(2) + 'x' : 'n/a'} | ${r.rssKiB} |`);
}
console.log(lines.join('\n'));
