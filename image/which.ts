import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { VzError } from '../base/errors.ts';

/** A program named on the command line: a path as given, a bare name searched in PATH (as a shell would). */
export function findProgram(name: string): string {
  const candidates = name.includes('/') ? [resolve(name)] : (process.env.PATH ?? '/usr/bin:/bin').split(':').filter(Boolean).map((d) => resolve(d, name));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) return path;
    } catch {
      // next candidate
    }
  }
  throw new VzError('not-found', `program "${name}" not found${name.includes('/') ? '' : ' in PATH'} (or not executable): give its path`);
}
