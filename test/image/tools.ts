import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { Header } from 'tar';

const DIST = resolve(import.meta.dirname, '../../dist');

/**
 * Run a built image tool (dist/<name>.mjs); never rejects. `env -i` gives it a clean environment: tap's
 * NODE_OPTIONS and the process-info hooks tap adds to every child must not ride in (as nobody they cannot even write).
 */
export async function tool(name: 'ldd-trace' | 'strace-trace' | 'vzimage', args: string[], options: { env?: Record<string, string>; uid?: number } = {}) {
  const env = Object.entries({ PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env }).map(([k, v]) => `${k}=${v}`);
  const drop = options.uid === undefined ? [] : ['setpriv', `--reuid=${options.uid}`, `--regid=${options.uid}`, '--clear-groups'];
  const result = await execa('env', ['-i', ...env, ...drop, process.execPath, join(DIST, `${name}.mjs`), ...args], {
    reject: false,
    timeout: 120_000,
    stdin: 'ignore',
  });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** A host command's output, for comparison with the same command inside a container. */
export async function host(file: string, args: string[]) {
  const result = await execa(file, args, { reject: false, extendEnv: false, env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', TERM: 'xterm' } });
  return { exitCode: result.exitCode, stdout: String(result.stdout) };
}

/** A scratch directory outside /tmp (strace-trace drops /tmp paths, as runch mounts a tmpfs there). */
export function varScratch(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync('/var/tmp/vz-image-test-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface RawEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO';
  body?: string;
  linkpath?: string;
  mode?: number;
  devmaj?: number;
  devmin?: number;
}

/** A tar archive byte by byte, paths exactly as given: the hostile archives no well-behaved tool would write. */
export function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? 'File';
    const body = Buffer.from(e.body ?? '');
    const header = new Header({
      path: e.path,
      type,
      mode: e.mode ?? (type === 'Directory' ? 0o755 : 0o644),
      size: type === 'File' ? body.length : 0,
      linkpath: e.linkpath,
      uid: 0,
      gid: 0,
      mtime: new Date(1_700_000_000_000),
      devmaj: e.devmaj ?? 0,
      devmin: e.devmin ?? 0,
    });
    header.encode();
    blocks.push(header.block as Buffer);
    if (type === 'File' && body.length > 0) blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** Leftover temp directories of a failed extraction, if any. */
export function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.includes('.vz-tmp-') || name.includes('.vz-pack-'));
}
