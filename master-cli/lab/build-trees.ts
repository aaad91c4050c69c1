/**
 * `node master-cli/lab/build-trees.ts TREE...`: build the lab host trees a test run needs, once (a cached tree is
 * left as it is). .ci/run calls it before the tests, so no test pays for a build; `vzmaster lab up --trees` would
 * build a missing one itself.
 */
import { VzError } from '../../base/errors.ts';
import { ensureTree, parseTree } from './trees.ts';

try {
  for (const word of process.argv.slice(2)) {
    const name = parseTree(word, 'tree');
    if (!name) continue;
    const started = performance.now();
    const path = await ensureTree(name);
    process.stdout.write(`tree ${name}: ${path} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  }
} catch (error) {
  process.stderr.write(`build-trees: ${error instanceof VzError || error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
