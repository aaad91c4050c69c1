import t from 'tap';
import { progress } from '../../image/progress.ts';

const MIB = 1024 * 1024;

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream };
}

t.test('progress is shown on a terminal for big trees, never in a pipe or for small ones', async (t) => {
  const tty = stream(true);
  const bar = progress('packing app', 64 * MIB, tty.stream);
  bar.add(32 * MIB);
  bar.done();
  t.match(tty.written.join(''), /\rpacking app: 32\/64 MiB 50%/);
  t.ok(tty.written.join('').endsWith('\n'));
  const pipe = stream(false);
  const quiet = progress('packing app', 64 * MIB, pipe.stream);
  quiet.add(64 * MIB);
  quiet.done();
  t.same(pipe.written, [], 'not a terminal: nothing');
  const small = stream(true);
  progress('x', MIB, small.stream).done();
  t.same(small.written, [], 'a small tree: nothing');
});
