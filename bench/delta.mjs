#!/usr/bin/env node
// bench/delta: bytes a differential push sends (issue 15), end to end on one lab host: `vzmaster push --json` reports
// the bytes it copied to the host (the delta file, or the image). A 30 MiB image (2560 random 10 KiB files, so gzip
// hides nothing, plus one random 4 MiB file) is pushed whole once; then, RUNS times each (default 3), a new version with
//   A. one changed 10 KiB file               goal <= 64 KiB sent
//   B. 10% of its files changed (256 files)  goal <= 1.3x the changed bytes
//   C. 100 bytes changed inside the 4 MiB file (the chunk-level part: content-defined chunks)
// is packed and pushed against the previous one (the first version is started: runch on the host rebuilds). Medians. Run as root after `npm run build`: `node bench/delta.mjs`.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, symlinkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const runs = Number(process.env.RUNS ?? 3);
const FILES = 2560;
const dist = resolve(import.meta.dirname, '../dist');
const vzmaster = join(dist, 'vzmaster.mjs');
const parent = mkdtempSync(join(tmpdir(), 'vz-bench-delta-'));
const lab = join(parent, 'lab');
const env = { PATH: process.env.PATH, VZ_LAB_DIR: lab };
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
function run(args) {
  const r = spawnSync(vzmaster, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`vzmaster ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const bundle = join(parent, 'app');
const data = join(bundle, 'rootfs/srv');
mkdirSync(data, { recursive: true });
// busybox and a sleeper: the first version is started (which installs runch on the host, which rebuilds deltas)
mkdirSync(join(bundle, 'rootfs/bin'), { recursive: true });
copyFileSync('/bin/busybox', join(bundle, 'rootfs/bin/busybox'));
for (const applet of ['sh', 'sleep']) symlinkSync('busybox', join(bundle, 'rootfs/bin', applet));
execFileSync(join(dist, 'runch.cjs'), ['spec', '--bundle', bundle, '--', 'sleep', '100000']);
for (let i = 0; i < FILES; i++) writeFileSync(join(data, `f${i}`), randomBytes(10 << 10));
writeFileSync(join(data, 'big'), randomBytes(4 << 20));
let version = 0;
function packed() {
  const out = join(parent, 'images', String(version++));
  execFileSync(join(dist, 'vzimage.cjs'), ['pack', bundle, '-o', out, '--app', 'bench'], { stdio: 'ignore' });
  return join(out, readdirSync(out).find((f) => f.endsWith('.tar.gz')));
}
function push(image) {
  const started = process.hrtime.bigint();
  const report = JSON.parse(run(['push', image, '--json']));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const t = report.transfers.vps1;
  if (!t) throw new Error(`no transfer reported: ${JSON.stringify(report)}`);
  return { ...t, ms };
}

try {
  run(['lab', 'up', '--hosts', '1', '--busybox', '0']);
  const first = packed();
  const full = push(first);
  run(['start', 'bench', '--image', first]);
  const size = statSync(first).size;
  const rows = { A: [], B: [], C: [] };
  for (let r = 0; r < runs; r++) {
    const one = Math.floor(Math.random() * FILES);
    writeFileSync(join(data, `f${one}`), randomBytes(10 << 10));
    rows.A.push({ ...push(packed()), changed: 10 << 10 });
    const picked = new Set();
    while (picked.size < FILES / 10) picked.add(Math.floor(Math.random() * FILES));
    for (const i of picked) writeFileSync(join(data, `f${i}`), randomBytes(10 << 10));
    rows.B.push({ ...push(packed()), changed: picked.size * (10 << 10) });
    const big = readFileSync(join(data, 'big'));
    randomBytes(100).copy(big, Math.floor(Math.random() * (big.length - 100)));
    writeFileSync(join(data, 'big'), big);
    rows.C.push({ ...push(packed()), changed: 100 });
  }
  for (const list of Object.values(rows)) for (const t of list) if (t.how !== 'delta') throw new Error(`a push went ${t.how}: ${JSON.stringify(t)}`);
  const kib = (n) => (n / 1024).toFixed(1);
  console.log(`bench/delta: one lab host, a ${(size / 2 ** 20).toFixed(1)} MiB image (${FILES} random 10 KiB files + a 4 MiB one), medians of ${runs} runs; the first push (full) sent ${kib(full.bytes)} KiB in ${Math.round(full.ms)} ms\n`);
  console.log('| new version | changed | sent (KiB) | sent / changed | push ms | goal |');
  console.log('|---|---:|---:|---:|---:|---|');
  const row = (name, list, goal) => {
    const sent = median(list.map((t) => t.bytes));
    const changed = list[0].changed;
    console.log(`| ${name} | ${kib(changed)} KiB | ${kib(sent)} | ${(sent / changed).toFixed(2)}x | ${Math.round(median(list.map((t) => t.ms)))} | ${goal} |`);
  };
  row('one changed 10 KiB file', rows.A, 'sent <= 64 KiB');
  row('10% of the files changed', rows.B, 'sent <= 1.3x changed');
  row('100 bytes inside a 4 MiB file', rows.C, '(chunk level)');
} finally {
  spawnSync(vzmaster, ['lab', 'down'], { env, stdio: 'ignore' });
  rmSync(parent, { recursive: true, force: true });
}
