// Builds dist/<bin>.mjs: one dependency-free, minified file per binary; dist/runch.mjs is what hosts get.
import { chmod } from 'node:fs/promises';
import { build } from 'esbuild';

const banner = [
  // Compile cache from the first instruction (the env var, unlike module.enableCompileCache(), covers this file
  // itself): later starts skip parsing and compiling the bundle (Node >= 22.1).
  '#!/usr/bin/env -S NODE_COMPILE_CACHE=/var/tmp/vz-compile-cache node',
  "import { createRequire as __createRequire } from 'node:module';",
  'const require = __createRequire(import.meta.url);',
  "import { fileURLToPath as __fileURLToPath } from 'node:url';",
  'const __filename = __fileURLToPath(import.meta.url); const __dirname = __filename.slice(0, __filename.lastIndexOf("/"));',
].join('\n');

const entries = { runch: 'runch/bin.ts' };
for (const [name, entry] of Object.entries(entries)) {
  const outfile = `dist/${name}.mjs`;
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    banner: { js: banner },
    legalComments: 'none',
    logLevel: 'warning',
    minify: true,
  });
  await chmod(outfile, 0o755);
}
