#!/usr/bin/env node
// The house's import directions, checked on every CI run (docs: CONTRIBUTING.md, "Layers").
//   master -> (Ansible) -> host side; host CLI -> host supervision -> runtime -> base; nothing imports upward.
// Each room lists the rooms it may import besides itself. A file outside every room (tests, benches, build
// scripts) may import anything. Usage: node .ci/check-layers.mjs [ROOT]; exits 1 and names each bad import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Rooms, most specific prefix first; `may` is what a room's files may import. */
export const ROOMS = [
  { room: 'base', may: [] },
  { room: 'runch/oci', may: ['base', 'runch/state', 'runch/container'] },
  { room: 'runch/state', may: ['base', 'runch/oci', 'runch/container'] },
  { room: 'runch/container', may: ['base', 'runch/oci', 'runch/state'] },
  { room: 'image', may: ['base', 'runch/oci'] },
  { room: 'supervisor', may: ['base', 'runch/oci', 'runch/state', 'runch/container'] },
  { room: 'inittab-gen', may: ['base', 'runch/oci', 'runch/state', 'runch/container', 'supervisor'] },
  { room: 'runch/host', may: ['base', 'runch/oci', 'runch/state', 'runch/container', 'supervisor', 'inittab-gen', 'image'] },
  { room: 'runch/cli', may: ['base', 'runch/oci', 'runch/state', 'runch/container', 'supervisor', 'inittab-gen', 'image', 'runch/host'] },
  { room: 'runch/bin.ts', may: ['runch/cli', 'base'] },
  { room: 'bootstrap', may: ['base'] },
  { room: 'master-cli', may: ['base', 'image', 'runch/oci', 'bootstrap'] },
];
const SKIP = new Set(['node_modules', 'dist', '.git', '.tap']);

export function roomOf(path) {
  return ROOMS.find(({ room }) => path === room || path.startsWith(`${room}/`));
}

/** Every relative import of a source file (static, dynamic and `export ... from`), as repo-relative paths. */
export function importsOf(file, text, root) {
  const found = [];
  for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)(['"])(\.{1,2}\/[^'"]+)\1/g))
    found.push(relative(root, resolve(dirname(join(root, file)), match[2])).split(sep).join('/'));
  return found;
}

export function violations(root) {
  const bad = [];
  const walk = (dir) => {
    for (const name of readdirSync(join(root, dir))) {
      if (SKIP.has(name)) continue;
      const path = dir ? `${dir}/${name}` : name;
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (/\.(ts|mts|mjs|js|cjs)$/.test(name)) {
        const from = roomOf(path);
        if (!from) continue;
        for (const target of importsOf(path, readFileSync(join(root, path), 'utf8'), root)) {
          const to = roomOf(target);
          if (!to || to === from || from.may.includes(to.room)) continue;
          bad.push(`${path} imports ${target}: ${from.room} may import only ${from.may.join(', ') || 'nothing of the project'}`);
        }
      }
    }
  };
  walk('');
  return bad;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
  const bad = violations(root);
  for (const line of bad) process.stderr.write(`layers: ${line}\n`);
  if (bad.length) {
    process.stderr.write(`layers: ${bad.length} import(s) against the house's directions (CONTRIBUTING.md, "Layers")\n`);
    process.exit(1);
  }
  process.stdout.write('layers: every import follows the house\'s directions\n');
}
