import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { VzError } from '../../base/errors.ts';

/**
 * The single-file runch that hosts get: beside vzmaster's own bundle (dist/), or the repo's dist/ when vzmaster
 * runs from source; VZ_RUNCH_BUNDLE overrides both.
 */
export function runchArtifact(): string {
  const candidates = [
    process.env.VZ_RUNCH_BUNDLE,
    typeof __filename === 'string' ? join(dirname(__filename), 'runch.cjs') : undefined,
    resolve(import.meta.dirname ?? '.', '../../dist/runch.cjs'),
  ];
  for (const candidate of candidates) if (candidate && existsSync(candidate)) return candidate;
  throw new VzError('not-found', 'the runch bundle (dist/runch.cjs) is missing: run "npm run build" first');
}
