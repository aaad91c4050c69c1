// issue 10: the restart-policy grammar is read in one place (base/restart-policy.ts) by the table, enable, run
// --restart and the deploy manifest.
import t from 'tap';
import * as z from 'zod';
import { VzError } from '../../base/errors.ts';
import { parseRestartPolicy, renderRestartPolicy, restartPolicyData, restartPolicySchema, restartPolicyText } from '../../base/restart-policy.ts';
import { manifestSchema } from '../../master-cli/deploy/manifest.ts';
import { parseLine } from '../../supervisor/table/text.ts';

t.test('every valid form reads and renders back', async (t) => {
  for (const text of ['no', 'always', 'unless-stopped', 'on-failure', 'on-failure:0', 'on-failure:5']) {
    const policy = parseRestartPolicy(text);
    t.equal(renderRestartPolicy(policy), text);
  }
  t.same(parseRestartPolicy('on-failure:5'), { policy: 'on-failure', max: 5 });
  t.same(restartPolicySchema.parse('always'), { policy: 'always' });
  for (const text of ['no', 'on-failure:3', 'unless-stopped']) t.same(restartPolicyData.parse(parseRestartPolicy(text)), parseRestartPolicy(text), 'the data form reads what the text gives');
  t.notOk(restartPolicyData.safeParse({ policy: 'always', max: 2 }).success, 'the data form keeps the grammar\'s rule');
  t.notOk(restartPolicyData.safeParse({ policy: 'sometimes' }).success);
});

t.test('a bad one is one line naming the value, where it was given and the valid forms', async (t) => {
  for (const [text, why] of [
    ['sometimes', /^--restart "sometimes" is unknown: use no, on-failure\[:N\], always or unless-stopped$/],
    ['always:3', /^--restart "always:3": a maximum \(":N"\) only goes with on-failure$/],
    ['on-failure:x', /is unknown/],
    ['on-failure:5:6', /is unknown/],
    ['', /is unknown/],
  ] as const) {
    const error = t.throws(() => parseRestartPolicy(text, '--restart')) as VzError;
    t.equal(error.code, 'usage');
    t.match(error.message, why);
    t.notMatch(error.message, /\n/);
  }
  const zodError = restartPolicyText.safeParse('sometimes').error as z.ZodError;
  t.match(zodError.issues[0].message, /^must be no, on-failure\[:N\], always or unless-stopped, not "sometimes"$/);
});

t.test('the table and the manifest read it the same way', async (t) => {
  t.same(parseLine('w:respawn:/b:restart=on-failure:3'), { ...parseLine('w:respawn:/b'), restart: 'on-failure', restartMax: 3 });
  t.throws(() => parseLine('w:respawn:/b:restart=always:3'), /restart "always:3": a maximum/);
  t.equal(manifestSchema.parse({ app: 'a', bundle: 'x', restart: 'on-failure:2' }).restart, 'on-failure:2');
  t.notOk(manifestSchema.safeParse({ app: 'a', bundle: 'x', restart: 'always:2' }).success);
});
