import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { runAdhoc } from '../../master-cli/ansible/run.ts';
import { readConfig } from '../../master-cli/config/load.ts';
import { alivePids, startLab } from '../helpers/lab.ts';

// A lab dir with a space, a quote and a ';', and values built to break a shell or a Jinja template.
t.test('hostile lab dir and module values change nothing outside', async (t) => {
  // Something already listens on 0.0.0.0 at the first port: the host must get the next one, recorded in the inventory.
  const [held, next] = [40000 + (process.pid % 10000), 50000 + (process.pid % 10000)];
  const blocker = createServer().listen({ host: '0.0.0.0', port: held });
  await once(blocker, 'listening');
  t.teardown(() => blocker.close());
  const lab = await startLab(t, { hosts: 1, busybox: 0, dir: "my lab 'x'; y", env: { VZ_LAB_PORTS: `${held},${next}` } });
  t.equal(lab.hosts()[0].port, next, 'the port held by a wildcard listener was skipped');
  t.match(readFileSync(lab.inventory, 'utf8'), new RegExp(`ansible_port: ${next}`), 'the port is in the inventory');
  const canary = join(lab.dir, '..', 'canary');
  const config = readConfig(join(lab.dir, 'vzmaster.json'));
  const target = { inventory: config.inventory, stateDir: config.stateDir, ansibleConfig: config.ansibleConfig };

  const nodes = await lab.run(['nodes']);
  t.equal(nodes.exitCode, 0, `nodes works from a lab dir with spaces and quotes: ${nodes.stderr}`);

  const values = [
    `{{ lookup('pipe', 'touch ${canary}') }}`,
    `$(touch ${canary}); touch ${canary} && echo "q'uote"`,
    '[1, 2]',
    'True',
    '{% raw %}x',
    'tab\there\nnewline é',
  ];
  const echoed = await runAdhoc(target, { module: 'command', args: { argv: ['printf', '%s\\0', ...values] } });
  t.equal(echoed.hosts[0].status, 'changed', echoed.hosts[0].message);
  t.same(String(echoed.hosts[0].result.stdout).split('\0').slice(0, -1), values.map((v) => v.replace(/\n$/, '')), 'every value arrives verbatim');

  const dest = "/tmp/a b; c'd {{x}}.txt";
  const written = await runAdhoc(target, { module: 'copy', args: { dest, content: values.join('\n'), mode: '0600' } });
  t.equal(written.hosts[0].status, 'changed', written.hosts[0].message);
  const read = await runAdhoc(target, { module: 'slurp', args: { src: dest } });
  t.equal(Buffer.from(String(read.hosts[0].result.content), 'base64').toString('utf8'), values.join('\n'), 'copy wrote the exact bytes');
  t.notOk(existsSync(dest), "the file is in the host's private /tmp, not the machine's");
  t.notOk(existsSync(canary), 'no template or shell ran anything');

  // Failures are told from successes although ansible strips `failed` from what callbacks see.
  const refused = await runAdhoc(target, { module: 'stat', args: { path: '/', bogus: 1 } });
  t.same([refused.hosts[0].status, refused.ansibleExit], ['failed', 2], 'a module refusing its arguments is a failure');
  t.match(refused.hosts[0].message, /Unsupported parameters/);
  const nonzero = await runAdhoc(target, { module: 'command', args: { argv: ['false'] } });
  t.same([nonzero.hosts[0].status, nonzero.ansibleExit], ['failed', 2], 'a non-zero exit is a failure');
  const missing = await runAdhoc(target, { module: 'command', args: { argv: ['/nonexistent/program'] } });
  t.equal(missing.hosts[0].status, 'failed', 'a missing program is a failure');
  const fine = await runAdhoc(target, { module: 'stat', args: { path: '/' } });
  t.equal(fine.hosts[0].status, 'ok', 'a read-only module that worked is ok');

  const pids = lab.pids();
  const down = await lab.run(['lab', 'down', '--dir', lab.dir]);
  t.equal(down.exitCode, 0, down.stderr);
  t.same(alivePids(pids), []);
  t.notOk(existsSync(lab.dir), 'lab dir removed');
});
