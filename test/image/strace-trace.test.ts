import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { isDropped, parseStraceLine, pathsOfTrace } from '../../image/strace-parse.ts';
import { runch, scratch } from '../helpers/fixtures.ts';
import { host, tool, varScratch } from './tools.ts';

const PERL = 'use strict; my @w = sort { length($a) <=> length($b) } qw(ccc a bb); print join(",", @w), " ", List::Util::sum(1..10), " ", POSIX::floor(7.9), " ", POSIX::strftime("%Y", gmtime(0)), "\\n"';

t.test('strace-trace a perl one-liner that loads modules: from-spec rootfs runs it under runch like on the host', async (t) => {
  const dir = scratch(t);
  const spec = join(dir, 'perl.spec');
  const args = ['perl', '-MPOSIX', '-MList::Util', '-e', PERL];
  const traced = await tool('strace-trace', ['-o', spec, '--', ...args]);
  t.equal(traced.exitCode, 0, traced.stderr);
  t.equal(traced.stdout, (await host('perl', args.slice(1))).stdout, 'the traced command ran with our stdio');
  const paths = readFileSync(spec, 'utf8').trim().split('\n');
  t.same(paths, [...paths].sort(), 'sorted');
  t.ok(paths.some((p) => p.endsWith('/POSIX.pm')), 'a module perl opened');
  t.ok(paths.some((p) => p.endsWith('/POSIX.so')), 'its XS part, loaded by dlopen');
  t.ok(paths.some((p) => /\/ld-linux[^/]*\.so/.test(p)), 'the loader the kernel mapped (no syscall shows it)');
  t.notOk(paths.some(isDropped), 'nothing from /proc /sys /dev /run /tmp');
  const rootfs = join(dir, 'perl/rootfs');
  const built = await tool('vzimage', ['rootfs', 'from-spec', spec, rootfs]);
  t.equal(built.exitCode, 0, built.stderr);
  const bundle = join(dir, 'perl-bundle');
  t.equal((await tool('vzimage', ['bundle', rootfs, bundle, '--user', '65534:65534', '--args', ...args])).exitCode, 0);
  const inside = await runch(join(dir, 'root'), ['run', '--bundle', bundle, 'perl1']);
  t.equal(inside.exitCode, 0, inside.stderr);
  t.equal(inside.stdout, '' + (await host('perl', args.slice(1))).stdout);
  t.equal(inside.stdout, 'a,bb,ccc 55 7 1970');
});

t.test('strace-trace a #! script that runs other programs and reads a file: interpreter, children and data copied', async (t) => {
  const dir = scratch(t);
  const src = varScratch(t);
  writeFileSync(join(src, 'data.txt'), 'alpha\nbeta\n');
  const script = join(src, 'show.sh');
  writeFileSync(script, `#!/bin/sh\necho "script $#"\ncat ${src}/data.txt | wc -l\nexec head -n1 ${src}/data.txt\n`);
  chmodSync(script, 0o755);
  const spec = join(dir, 'sh.spec');
  const traced = await tool('strace-trace', ['-o', spec, '--', script, 'x', 'y']);
  t.equal(traced.exitCode, 0, traced.stderr);
  const paths = readFileSync(spec, 'utf8');
  for (const needed of [script, `${src}/data.txt`, '/usr/bin/dash', '/usr/bin/cat', '/usr/bin/wc', '/usr/bin/head']) t.match(paths, `${needed}\n`, needed);
  t.match(paths, /^\/bin\n/m, 'the /bin symlink of the #! line');
  const rootfs = join(dir, 'sh/rootfs');
  t.equal((await tool('vzimage', ['rootfs', 'from-spec', spec, rootfs])).exitCode, 0);
  const bundle = join(dir, 'sh-bundle');
  t.equal((await tool('vzimage', ['bundle', rootfs, bundle, '--', script, 'x', 'y'])).exitCode, 0);
  const inside = await runch(join(dir, 'root'), ['run', '--bundle', bundle, 'sh2']);
  t.equal(inside.exitCode, 0, inside.stderr);
  t.equal(inside.stdout, (await host(script, ['x', 'y'])).stdout);
  t.equal(inside.stdout, 'script 2\n2\nalpha');
});

t.test('strace-trace: a failing command gives its exit code and a line; an unknown one is refused', async (t) => {
  const dir = scratch(t);
  const failed = await tool('strace-trace', ['-o', join(dir, 'f.spec'), '--', 'sh', '-c', 'exit 3']);
  t.equal(failed.exitCode, 3);
  t.match(failed.stderr, /sh exited with 3; the spec may miss/);
  t.ok(existsSync(join(dir, 'f.spec')), 'the spec of what it reached is still written');
  const unknown = await tool('strace-trace', ['-o', join(dir, 'u.spec'), '--', 'no-such-program-vz']);
  t.equal(unknown.exitCode, 1);
  t.match(unknown.stderr, /strace-trace: strace traced nothing for "no-such-program-vz"/);
  t.notOk(existsSync(join(dir, 'u.spec')));
  const usage = await tool('strace-trace', []);
  t.equal(usage.exitCode, 1);
  t.match(usage.stderr, /^strace-trace: strace-trace needs a command/);
});

t.test('strace lines: dirfd paths, cwd-relative names, escapes, O_CREAT and empty paths', async (t) => {
  t.match(parseStraceLine('openat(AT_FDCWD</srv/app>, "lib/x.pm", O_RDONLY|O_CLOEXEC) = 3</srv/app/lib/x.pm>', '/'), { syscall: 'openat', path: '/srv/app/lib/x.pm', creates: false, cwd: '/srv/app' });
  t.match(parseStraceLine('123 openat(5</usr/lib>, "perl5", O_RDONLY|O_DIRECTORY) = 6</usr/lib/perl5>', '/'), { path: '/usr/lib/perl5' });
  t.match(parseStraceLine('openat(AT_FDCWD</x>, "/out.log", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</out.log>', '/'), { creates: true });
  t.match(parseStraceLine('statx(AT_FDCWD</>, "/a b/\\303\\251\\"q\\"", AT_STATX_SYNC_AS_STAT, STATX_ALL, {...}) = 0', '/'), { path: '/a b/é"q"' });
  t.match(parseStraceLine('execve("./run.sh", ["./run.sh"], 0x7ffd /* 3 vars */) = 0', '/opt/app'), { syscall: 'execve', path: '/opt/app/run.sh' });
  t.match(parseStraceLine('readlink("/lib64", "usr/lib64", 64)     = 9', '/'), { path: '/lib64' });
  t.match(parseStraceLine('newfstatat(3</etc/passwd>, "", {st_mode=S_IFREG|0644, ...}, AT_EMPTY_PATH) = 0', '/'), { path: '' });
  t.equal(parseStraceLine('openat(AT_FDCWD</>, "/nope", O_RDONLY) = -1 ENOENT (No such file or directory)', '/'), undefined);
  t.equal(parseStraceLine('write(1, "hi", 2) = 2', '/'), undefined);
  const trace = 'execve("/usr/bin/sh", ["sh"], 0x1 /* 1 var */) = 0\nopenat(AT_FDCWD</home/u>, "a", O_RDONLY) = 3</home/u/a>\nexecve("b", ["b"], 0x1 /* 1 var */) = 0\n';
  t.same(pathsOfTrace(trace, '/'), { paths: ['/usr/bin/sh', '/home/u/a', '/home/u/b'], execs: ['/usr/bin/sh', '/home/u/b'] });
  for (const p of ['/proc/self/exe', '/dev/null', '/sys', '/run/x', '/tmp/y', '/etc/ld.so.cache']) t.ok(isDropped(p), p);
  for (const p of ['/procfs', '/etc/passwd', '/usr/lib/tmp']) t.notOk(isDropped(p), p);
});

t.test('issue 11: strace-trace leaves out the build machine\'s own files; from-spec adds the skeleton runch expects', async (t) => {
  const dir = scratch(t);
  const spec = join(dir, 'id.spec');
  // getent reads /etc/hosts (and /etc/passwd through NSS); cat reads hostname and resolv.conf.
  const traced = await tool('strace-trace', ['-o', spec, '--', 'sh', '-c', 'getent hosts localhost >/dev/null; cat /etc/hostname /etc/resolv.conf /etc/passwd >/dev/null 2>&1; true']);
  t.equal(traced.exitCode, 0, traced.stderr);
  const paths = readFileSync(spec, 'utf8').trim().split('\n');
  for (const gone of ['/etc/hosts', '/etc/resolv.conf', '/etc/hostname']) {
    t.notOk(paths.includes(gone), `${gone} is not in the spec`);
    t.match(traced.stderr, `strace-trace: left out ${gone}: `, `${gone}: said why`);
  }
  t.ok(paths.includes('/etc/passwd'), '/etc/passwd is kept');
  t.match(traced.stderr, /strace-trace: warning: \/etc\/passwd is the build machine's: it lists its users/);
  const rootfs = join(dir, 'id/rootfs');
  const built = await tool('vzimage', ['rootfs', 'from-spec', spec, rootfs, '--user', '1000:1000']);
  t.equal(built.exitCode, 0, built.stderr);
  t.match(built.stderr, /skeleton: .*\/tmp/);
  t.equal((await import('node:fs')).statSync(join(rootfs, 'tmp')).mode & 0o7777, 0o1777, '/tmp, mode 1777');
  t.match(readFileSync(join(rootfs, 'etc/hosts'), 'utf8'), /^127\.0\.0\.1\tlocalhost$/m, 'a neutral hosts file (the program resolves names)');
  t.equal(readFileSync(join(rootfs, 'etc/resolv.conf'), 'utf8'), '', 'an empty resolv.conf for runch to bind over');
  // the build machine's passwd was in the spec: kept as it is (the skeleton writes only where the rootfs has none)
  t.equal(readFileSync(join(rootfs, 'etc/passwd'), 'utf8'), readFileSync('/etc/passwd', 'utf8'));
  const bad = await tool('vzimage', ['rootfs', 'from-spec', spec, join(dir, 'x'), '--user', 'www']);
  t.equal(bad.exitCode, 1);
  t.match(bad.stderr, /--user "www" must be UID:GID/);
});

t.test('issue 11: from-spec without a passwd in the spec writes one naming the --user uid', async (t) => {
  const dir = scratch(t);
  const spec = join(dir, 'true.spec');
  t.equal((await tool('strace-trace', ['-o', spec, '--', 'true'])).exitCode, 0);
  const rootfs = join(dir, 't/rootfs');
  t.equal((await tool('vzimage', ['rootfs', 'from-spec', spec, rootfs, '--user', '1000:1000', '--user-name', 'web'])).exitCode, 0);
  t.match(readFileSync(join(rootfs, 'etc/passwd'), 'utf8'), /^web:x:1000:1000:/m);
  t.match(readFileSync(join(rootfs, 'etc/group'), 'utf8'), /^web:x:1000:$/m);
});
