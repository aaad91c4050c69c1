// Builds dist/<bin>.mjs: one dependency-free, minified file per binary; dist/runch.mjs is what hosts get.
import { existsSync } from 'node:fs';
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

// One entry per binary; an entry whose source does not exist yet is skipped.
const entries = {
  runch: 'runch/bin.ts',
  vzmaster: 'master-cli/bin.ts',
  'ldd-trace': 'master-cli/image/bin/ldd-trace.ts',
  'strace-trace': 'master-cli/image/bin/strace-trace.ts',
  vzimage: 'master-cli/image/bin/vzimage.ts',
};
for (const [name, entry] of Object.entries(entries)) {
  if (!existsSync(entry)) continue;
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
