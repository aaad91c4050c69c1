/**
 * `node master-cli/lab/build-trees.ts TREE... [TREE/PACKAGE...]`: build the lab host trees a test run needs, once (a
 * cached tree is left as it is), and fetch the packages of a tree's release and architecture that tests put into
 * bundles (bookworm-i386/busybox-static: an i386 busybox for the i386 host). .ci/run calls it before the tests, so no
 * test pays for a build; `vzmaster lab up --trees` would build a missing tree itself.
 */
import { VzError } from '../../base/errors.ts';
import { ensureTree, ensureTreeDeb, parseTree } from './trees.ts';

try {
  for (const word of process.argv.slice(2)) {
    const [treeWord, pkg] = word.split('/');
    const name = parseTree(treeWord, 'tree');
    if (!name) continue;
    const started = performance.now();
    const path = pkg === undefined ? await ensureTree(name) : await ensureTreeDeb(name, pkg);
    process.stdout.write(`${pkg === undefined ? `tree ${name}` : `package ${pkg} of ${name}`}: ${path} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  }
} catch (error) {
  process.stderr.write(`build-trees: ${error instanceof VzError || error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
