import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseRlimit } from '../../runch/oci/rlimit-text.ts';
import { busyboxRootfs, runch, scratch } from '../helpers/fixtures.ts';
import { tool } from './tools.ts';

t.test('issue 11: vzimage bundle --rlimit sets the limits the program sees (the template\'s 1024 open files replaced)', async (t) => {
  const dir = scratch(t);
  const rootfs = busyboxRootfs(join(dir, 'src'));
  const bundle = join(dir, 'b');
  const made = await tool('vzimage', ['bundle', rootfs, bundle, '--rlimit', 'nofile=4096', '--rlimit', 'core=0:unlimited', '--args', 'sh', '-c', 'echo $(ulimit -n) $(ulimit -Hn) $(ulimit -c) $(ulimit -Hc)']);
  t.equal(made.exitCode, 0, made.stderr);
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  t.same(config.process.rlimits.filter((r: { type: string }) => r.type === 'RLIMIT_NOFILE'), [{ type: 'RLIMIT_NOFILE', soft: 4096, hard: 4096 }], 'one NOFILE entry, the new one');
  const ran = await runch(join(dir, 'root'), ['run', '--bundle', bundle, 'rl1']);
  t.equal(ran.exitCode, 0, ran.stderr);
  t.equal(ran.stdout.trim(), '4096 4096 0 unlimited');
  for (const [value, why] of [
    ['files=10', /"files" is no rlimit: use one of as, core, cpu/],
    ['nofile', /must be NAME=LIMIT or NAME=SOFT:HARD, e\.g\. nofile=65536/],
    ['nofile=100:10', /the soft limit 100 is above the hard limit 10/],
    ['nofile=-1', /must be NAME=LIMIT/],
  ] as const) {
    const bad = await tool('vzimage', ['bundle', rootfs, join(dir, `bad-${value}`), '--rlimit', value, '--args', 'true']);
    t.equal(bad.exitCode, 1, `${value}: refused`);
    t.match(bad.stderr, why, `${value}: says why`);
  }
});

t.test('the rlimit grammar: names with or without RLIMIT_, soft:hard, unlimited', async (t) => {
  t.same(parseRlimit('NOFILE=65536'), { type: 'RLIMIT_NOFILE', soft: 65536, hard: 65536 });
  t.same(parseRlimit('rlimit_nproc=100:200'), { type: 'RLIMIT_NPROC', soft: 100, hard: 200 });
  t.same(parseRlimit('memlock=unlimited'), { type: 'RLIMIT_MEMLOCK', soft: 2 ** 64 - 1, hard: 2 ** 64 - 1 });
  t.throws(() => parseRlimit('nofile=1:unlimited2', 'rlimits[0]'), /rlimits\[0\] "nofile=1:unlimited2" must be/);
});
