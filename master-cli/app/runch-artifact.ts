import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { VzError } from '../../base/errors.ts';

/**
 * The single-file runch that hosts get: VZ_RUNCH_BUNDLE, else beside the running vzmaster (dist/vzmaster.cjs), else
 * the repository's dist/ when vzmaster runs from source (master-cli/bin.ts). Found from the program's own path, not
 * import.meta, which the CommonJS bundle does not have.
 */
export function runchArtifact(): string {
  let self = process.argv[1] ?? '.';
  try {
    self = realpathSync(self);
  } catch {
    // as given
  }
  const candidates = [process.env.VZ_RUNCH_BUNDLE, join(dirname(self), 'runch.cjs'), join(dirname(self), '../dist/runch.cjs')];
  for (const candidate of candidates) if (candidate && existsSync(candidate)) return candidate;
  throw new VzError('not-found', 'the runch bundle (dist/runch.cjs) is missing: run "npm run build" first');
}
