import { existsSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Recipe } from './recipe.ts';

/** Removes a directory's content, keeping the entries `keep` says to (docs keep each package's copyright). */
function empty(dir: string, keep: (rel: string) => boolean = () => false, rel = ''): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const sub = rel === '' ? name : `${rel}/${name}`;
    if (keep(sub)) continue;
    if (lstatSync(path).isDirectory() && !lstatSync(path).isSymbolicLink()) {
      empty(path, keep, sub);
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
    } else rmSync(path);
  }
  if (rel === '' && readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}

/** The recipe's `trim`: what a running program never reads. Returns the trimmed roots, for the log. */
export function trim(spec: Recipe['trim'], root: string): string[] {
  const done: string[] = [];
  const usr = (p: string) => join(root, 'usr/share', p);
  if (spec.docs) {
    // copyright files stay: the licences travel with the binaries
    empty(usr('doc'), (rel) => rel.endsWith('/copyright'));
    empty(usr('info'));
    done.push('/usr/share/doc', '/usr/share/info');
  }
  if (spec.man) {
    empty(usr('man'));
    done.push('/usr/share/man');
  }
  if (spec.locales) {
    empty(usr('locale'));
    empty(usr('i18n'));
    done.push('/usr/share/locale', '/usr/share/i18n');
  }
  for (const path of spec.paths) {
    rmSync(join(root, path), { recursive: true, force: true });
    done.push(path);
  }
  return done;
}
