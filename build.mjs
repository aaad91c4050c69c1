// Builds dist/<bin>.mjs: one dependency-free, minified file per binary; dist/runch.mjs is what hosts get.
import { existsSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';

// Compile cache from the first instruction (the env var, unlike module.enableCompileCache(), covers the bundle
// itself): later starts skip parsing and compiling it (Node >= 22.1).
const shebang = '#!/usr/bin/env -S NODE_COMPILE_CACHE=/var/tmp/vz-compile-cache node';

// One entry per binary; an entry whose source does not exist yet is skipped.
const entries = {
  runch: 'runch/bin.ts',
  vzmaster: 'master-cli/bin.ts',
  'ldd-trace': 'image/bin/ldd-trace.ts',
  'strace-trace': 'image/bin/strace-trace.ts',
  vzimage: 'image/bin/vzimage.ts',
};
for (const [name, entry] of Object.entries(entries)) {
  if (!existsSync(entry)) continue;
  // CommonJS on purpose: an ESM bundle hoists every `import 'node:...'` to the top, so each start loads every
  // builtin any dependency might use (crypto, streams, workers: ~20 ms); CJS keeps them lazy with their modules.
  const outfile = `dist/${name}.cjs`;
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    banner: { js: shebang },
    legalComments: 'none',
    logLevel: 'warning',
    minify: true,
  });
  await chmod(outfile, 0o755);
  // dist/<name>.mjs: the same program under its ESM name, for callers that know that path.
  await writeFile(`dist/${name}.mjs`, `${shebang}\nimport './${name}.cjs';\n`, { mode: 0o755 });
}
