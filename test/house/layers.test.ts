import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { scratch } from '../helpers/fixtures.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CHECK = join(ROOT, '.ci', 'check-layers.mjs');
const run = promisify(execFile);

/** The checker as CI runs it: its exit code and what it printed. */
async function check(root: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CHECK, root], { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function tree(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

t.test('issue 10: an import against the house\'s directions fails the check, and names the import', async (t) => {
  const root = scratch(t, 'vz-layers-');
  tree(root, {
    // Against the rules: the runtime imports supervision, base imports the runtime, bootstrap imports the master.
    'runch/container/x.ts': "import { y } from '../../supervisor/y.ts';\nexport const x = y;\n",
    'base/z.ts': "export { w } from '../runch/oci/w.ts';\n",
    'bootstrap/s.ts': "export async function s() {\n  return import('../master-cli/m.ts');\n}\n",
    // Along them: supervision imports the runtime and base, the master imports bootstrap, a test imports anything.
    'supervisor/y.ts': "import { w } from '../runch/oci/w.ts';\nimport { e } from '../base/e.ts';\nexport const y = w + e;\n",
    'runch/oci/w.ts': "import { e } from '../../base/e.ts';\nexport const w = e;\n",
    'base/e.ts': 'export const e = 1;\n',
    'master-cli/m.ts': "import { s } from '../bootstrap/s.ts';\nexport const m = s;\n",
    'test/a.test.ts': "import { x } from '../runch/container/x.ts';\nimport { m } from '../master-cli/m.ts';\nconsole.log(x, m);\n",
  });
  const result = await check(root);
  t.equal(result.code, 1, 'exit 1');
  const lines = result.stderr.trim().split('\n');
  t.ok(lines.some((l) => /^layers: runch\/container\/x\.ts imports supervisor\/y\.ts: runch\/container may import only base, /.test(l)), 'names the runtime\'s import of supervision');
  t.ok(lines.includes('layers: base/z.ts imports runch/oci/w.ts: base may import only nothing of the project'), 'names base\'s import (export ... from)');
  t.ok(lines.includes('layers: bootstrap/s.ts imports master-cli/m.ts: bootstrap may import only base'), 'names bootstrap\'s dynamic import of the master');
  t.equal(lines.filter((l) => / imports /.test(l)).length, 3, 'and nothing that follows the directions');
  t.match(lines.at(-1), /^layers: 3 import\(s\) against the house's directions/);

  // The same answer from the exported function, which the CI script is a thin wrapper of.
  const { violations } = (await import(CHECK)) as { violations: (root: string) => string[] };
  t.equal(violations(root).length, 3);
});

t.test('issue 10: the repository itself follows the directions', async (t) => {
  const result = await check(ROOT);
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, /every import follows the house's directions/);
});
