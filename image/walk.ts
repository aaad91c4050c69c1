import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/**
 * Every path under dir, relative, depth first, names in byte order, each directory before its content: the
 * archive's order, the same for the same tree whatever order the file system lists it in.
 */
export function walkSorted(dir: string): { paths: string[]; bytes: number; stats: Stats[] } {
  const paths: string[] = [];
  const stats: Stats[] = [];
  let bytes = 0;
  const visit = (rel: string): void => {
    const names = readdirSync(join(dir, rel)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const stat = lstatSync(join(dir, path));
      paths.push(path);
      stats.push(stat);
      if (stat.isDirectory()) visit(path);
      else if (stat.isFile()) bytes += stat.size;
    }
  };
  visit('');
  // the stats too: the tar writer would otherwise lstat every path a second time
  return { paths, bytes, stats };
}
