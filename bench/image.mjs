#!/usr/bin/env node
// bench/image: the image tools' figures (issue 6), side by side in one run.
//  1. rootfs size of `ls` (ldd-trace) and of a perl one-liner that loads modules (strace-trace + rootfs from-spec);
//     the seed's anchor: 2312 KiB for ls on i686 Arch.
//  2. pack and unpack throughput in MiB/s (uncompressed tree bytes / wall time, medians of RUNS runs, default 3)
//     of vzimage against GNU tar with the same compression and the same properties (sorted, numeric owners),
//     on a copy of BENCH_TREE (default: this repository's node_modules, ~15k files).
// Run as root after `npm run build`: `node bench/image.mjs` (it enters a private mount namespace itself).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import zlib from 'node:zlib';
import { enterPrivateMountNamespace } from './private-ns.mjs';

enterPrivateMountNamespace();

const runs = Number(process.env.RUNS ?? 3);
const dist = resolve(import.meta.dirname, '../dist');
const tree = process.env.BENCH_TREE ?? resolve(import.meta.dirname, '../node_modules');
const dir = mkdtempSync('/var/tmp/vz-bench-image-');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
// the binaries as a user runs them (their shebang turns Node's compile cache on), not `node file`
const node = (tool, args) => execFileSync(join(dist, `${tool}.cjs`), args, { env, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const kib = (path) => Number(execFileSync('du', ['-sk', path]).toString().split('\t')[0]);
const apparentKib = (path) => Math.round(Number(execFileSync('du', ['-s', '--apparent-size', '--block-size=1', path]).toString().split('\t')[0]) / 1024);
const files = (path) => execFileSync('find', [path, '-type', 'f', '-printf', 'x']).length;

// 1. sizes
const ls = join(dir, 'ls');
node('ldd-trace', [ls, '/bin/ls']);
const perlArgs = ['perl', '-MPOSIX', '-MList::Util=sum', '-e', 'print sum(1..10), " ", POSIX::floor(2.5), "\\n"'];
node('strace-trace', ['-o', join(dir, 'perl.spec'), '--', ...perlArgs]);
const perl = join(dir, 'perl');
node('vzimage', ['rootfs', 'from-spec', join(dir, 'perl.spec'), perl]);
console.log('rootfs sizes (du -sk: disk use; apparent: file bytes)');
console.log('| rootfs | files | du KiB | apparent KiB |');
console.log('|---|---:|---:|---:|');
console.log(`| ls (ldd-trace, ${process.arch}) | ${files(ls)} | ${kib(ls)} | ${apparentKib(ls)} |`);
console.log(`| perl -MPOSIX -MList::Util one-liner (strace-trace) | ${files(perl)} | ${kib(perl)} | ${apparentKib(perl)} |`);
console.log('| seed: ls on i686 Arch | | 2312 | |');
console.log('');

// 2. throughput
const bundle = join(dir, 'bundle');
execFileSync('mkdir', ['-p', bundle]);
execFileSync('cp', ['-a', tree, join(bundle, 'rootfs')]);
node('vzimage', ['bundle', join(dir, 'ls'), join(dir, 'cfg'), '--args', '/bin/ls']);
execFileSync('cp', [join(dir, 'cfg/config.json'), join(bundle, 'config.json')]);
const bytes = apparentKib(bundle) * 1024;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function time(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}
const gnuFlag = { gzip: ['--gzip'], zstd: ['--zstd'], none: [] };
const ext = { gzip: '.tar.gz', zstd: '.tar.zst', none: '.tar' };
const kinds = typeof zlib.createZstdCompress === 'function' ? ['gzip', 'zstd', 'none'] : ['gzip', 'none'];
const rows = [];
for (const kind of kinds) {
  const t = { vzPack: [], gnuPack: [], vzUnpack: [], gnuUnpack: [] };
  let vzSize = 0;
  let gnuSize = 0;
  for (let i = 0; i < runs; i++) {
    const out = join(dir, `img-${kind}-${i}`);
    let image = '';
    t.vzPack.push(time(() => (image = node('vzimage', ['pack', bundle, '-o', out, '--compress', kind]).trim())));
    vzSize = statSync(image).size;
    const gnu = join(dir, `gnu-${kind}-${i}${ext[kind]}`);
    t.gnuPack.push(time(() => execFileSync('tar', ['--sort=name', '--numeric-owner', ...gnuFlag[kind], '-cf', gnu, '-C', bundle, '.'])));
    gnuSize = statSync(gnu).size;
    const a = join(dir, `ua-${kind}-${i}`);
    t.vzUnpack.push(time(() => node('vzimage', ['unpack', image, a])));
    const b = join(dir, `ub-${kind}-${i}`);
    execFileSync('mkdir', [b]);
    t.gnuUnpack.push(time(() => execFileSync('tar', ['--numeric-owner', ...gnuFlag[kind], '-xf', gnu, '-C', b])));
    for (const p of [out, gnu, a, b]) rmSync(p, { recursive: true, force: true });
  }
  const mibs = (s) => (bytes / 1024 / 1024 / median(s)).toFixed(1);
  const ratio = (vz, gnu) => `${(median(gnu) / median(vz)).toFixed(2)}x`;
  rows.push(`| ${kind} | ${mibs(t.vzPack)} | ${mibs(t.gnuPack)} | ${ratio(t.vzPack, t.gnuPack)} | ${mibs(t.vzUnpack)} | ${mibs(t.gnuUnpack)} | ${ratio(t.vzUnpack, t.gnuUnpack)} | ${(vzSize / 1048576).toFixed(1)} | ${(gnuSize / 1048576).toFixed(1)} |`);
}
console.log(`pack / unpack throughput, MiB/s of tree (${(bytes / 1048576).toFixed(0)} MiB, ${files(bundle)} files, copy of ${tree}), median of ${runs}; unpack includes vzimage's sha256 check and entry checks`);
console.log('| compression | vzimage pack | GNU tar pack | pack ratio | vzimage unpack | GNU tar unpack | unpack ratio | vzimage image MiB | GNU tar MiB |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const row of rows) console.log(row);
console.log(`\nratio: vzimage's speed over GNU tar's (1.00x = as fast). node ${process.version}, ${execFileSync('tar', ['--version']).toString().split('\n')[0]}, ${readdirSync('/sys/devices/system/cpu').filter((d) => /^cpu\d+$/.test(d)).length} CPUs`);
