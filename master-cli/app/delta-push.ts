import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { basename, dirname, join, resolve } from 'node:path';
import * as z from 'zod';
import { writeAtomicSync } from '../../base/atomic.ts';
import { deltaName, makeDelta } from '../../image/delta/make.ts';
import type { AdhocCall } from '../ansible/argv.ts';
import { ansibleBinary, ansibleEnv } from '../ansible/env.ts';
import type { RunTarget } from '../ansible/run.ts';
import type { HostResult } from '../ansible/result.ts';
import { hostCall, hostReply } from './host-command.ts';
import { HOST_IMAGES } from './host-paths.ts';
import type { HostSteps } from './steps.ts';

/** How an image reached one host: a delta, the full image (first, or after a refused delta), or nothing (it was there). */
export interface Transfer {
  how: 'delta' | 'full' | 'delta-refused+full' | 'none';
  /** Bytes this push copied to the host: the delta's, the image's, or both when a refused delta was followed by it. */
  bytes: number;
  /** The base a delta was made against, and the host's one line when it refused it. */
  base?: string;
  refused?: string;
}

export interface PushOutcome {
  sent: string[];
  present: string[];
  transfers: Record<string, Transfer>;
}

/**
 * What this master pushed to each host (newest last), the base a next version's delta is made against. The host is
 * not trusted to still hold it: the rebuild refuses a missing or corrupt base and the full image follows.
 */
const pushedSchema = z.object({ images: z.array(z.object({ file: z.string(), app: z.string().optional() })) });
const KEEP = 8;

function recordFile(stateDir: string, host: string): string {
  return join(stateDir, 'pushed', `${host}.json`);
}

function pushedTo(stateDir: string, host: string): z.infer<typeof pushedSchema>['images'] {
  try {
    return pushedSchema.parse(JSON.parse(readFileSync(recordFile(stateDir, host), 'utf8'))).images;
  } catch {
    return [];
  }
}

function remember(stateDir: string, host: string, file: string, app: string | undefined): void {
  const images = pushedTo(stateDir, host).filter((i) => i.file !== file);
  images.push({ file, ...(app ? { app } : {}) });
  mkdirSync(join(stateDir, 'pushed'), { recursive: true });
  writeAtomicSync(recordFile(stateDir, host), `${JSON.stringify({ images: images.slice(-KEEP) }, null, 2)}\n`);
}

/** The app an image belongs to, from the manifest vzimage pack writes beside it (<sha256>.json). */
function appOf(imageFile: string): string | undefined {
  const hex = /^([0-9a-f]{64})\./.exec(basename(imageFile))?.[1];
  if (!hex) return undefined;
  try {
    const app = (JSON.parse(readFileSync(join(dirname(imageFile), `${hex}.json`), 'utf8')) as { app?: unknown }).app;
    return typeof app === 'string' ? app : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The base for a host: the newest image of the same app this master pushed there that is still on the master. None
 * when the host already got this very image (the plain copy then finds it and sends nothing) or never got one.
 */
function baseFor(stateDir: string, host: string, imageFile: string, app: string | undefined): string | undefined {
  const images = pushedTo(stateDir, host);
  if (images.some((i) => i.file === imageFile)) return undefined;
  return images
    .filter((i) => app === undefined || i.app === undefined || i.app === app)
    .map((i) => i.file)
    .reverse()
    .find((file) => existsSync(file));
}

/**
 * The hosts a limit matches, by ansible's own pattern rules (`ansible LIMIT --list-hosts`: local, no SSH), asked only
 * when this master pushed to some host before (otherwise there is no base to send a delta against).
 */
export async function limitHosts(target: RunTarget, limit: string | undefined): Promise<string[] | undefined> {
  let recorded: string[];
  try {
    recorded = readdirSync(join(target.stateDir, 'pushed'));
  } catch {
    return undefined;
  }
  if (recorded.length === 0) return undefined;
  const child = await execa(ansibleBinary(target.ansibleBin), ['-i', target.inventory, limit ?? 'all', '--list-hosts'], {
    reject: false,
    env: ansibleEnv(target.stateDir, target.ansibleConfig, process.env, target.isolateHome ?? target.ansibleConfig !== undefined),
    extendEnv: false,
    stdin: 'ignore',
    timeout: 60_000,
  });
  if (child.exitCode !== 0) return undefined; // the push's own call says what is wrong with the limit
  return String(child.stdout)
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

function copyInto(src: string, dir: string, mode: string): AdhocCall {
  return { module: 'copy', args: { src, dest: `${dir}/`, mode } };
}

/**
 * Push an image, sending each host only what changed against the last version of the app it got: the master makes
 * the delta (image/delta/), copies it, and `runch host rebuild` makes the image there, checked by digest before it
 * is named. A host with no base, or one that refuses the delta (its base gone or corrupt, a delta that does not
 * rebuild the image byte for byte), gets the full image in the same push. A delta no smaller than 90% of the image
 * is not worth the round trip: the full image goes.
 */
export async function pushDifferential(steps: HostSteps, imageFile: string, only?: string[]): Promise<PushOutcome> {
  const image = resolve(imageFile);
  const stateDir = steps.stateDir;
  const app = appOf(image);
  const fullSize = statSync(image).size;
  const transfers: Record<string, Transfer> = {};
  const pool = only ?? steps.hosts ?? (await limitHosts(steps.runTarget, steps.limitPattern));
  const byBase = new Map<string, string[]>();
  for (const host of pool ?? []) {
    const base = baseFor(stateDir, host, image, app);
    if (base) byBase.set(base, [...(byBase.get(base) ?? []), host]);
  }
  const deltaDir = join(stateDir, 'deltas');
  for (const [base, hosts] of byBase) {
    let delta: Buffer;
    try {
      delta = (await makeDelta(base, image)).data;
    } catch {
      continue; // a base that is gone or corrupt on the master: these hosts get the full image
    }
    if (delta.length >= fullSize * 0.9) continue;
    mkdirSync(deltaDir, { recursive: true });
    // A directory of this push's own: two pushes at once never remove each other's delta mid-copy.
    const own = mkdtempSync(join(deltaDir, 'push-'));
    const file = join(own, deltaName(base, image));
    writeFileSync(file, delta);
    try {
      const copied = await steps.run('push delta', copyInto(file, HOST_IMAGES, '0644'), hosts);
      const arrived = copied.filter((r) => r.status === 'changed' || r.status === 'ok').map((r) => r.host);
      const refusals = new Map<string, string>();
      // A refusal keeps the host in the run (settled ok): the full image follows below.
      const settle = (r: HostResult): HostResult => {
        const reply = hostReply('rebuild', r);
        if (reply.kind === 'answer') return { ...r, status: reply.answer.changed ? 'changed' : 'ok', message: '' };
        if (r.status === 'unreachable') return r;
        refusals.set(r.host, reply.kind === 'error' ? reply.error.message : reply.kind === 'no-runch' ? 'no runch on the host yet' : 'no answer');
        return { ...r, status: 'ok', message: '' };
      };
      const rebuilt = await steps.run('rebuild', hostCall('rebuild', { base: basename(base), image: basename(image), delta: basename(file) }, { taskTimeout: 600, ifInstalled: true }), arrived, settle);
      for (const r of rebuilt) {
        if (r.status === 'unreachable' || r.status === 'failed') continue;
        const refused = refusals.get(r.host);
        transfers[r.host] = { how: refused ? 'delta-refused+full' : 'delta', bytes: delta.length, base: basename(base), ...(refused ? { refused } : {}) };
      }
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  }
  const full = pool?.filter((h) => transfers[h]?.how !== 'delta');
  const sent: string[] = [];
  const present: string[] = [];
  if (full === undefined || full.length > 0) {
    const results = await steps.run('push', copyInto(image, HOST_IMAGES, '0644'), full);
    for (const r of results) {
      if (r.status !== 'changed' && r.status !== 'ok') continue;
      const before = transfers[r.host];
      const bytes = r.status === 'changed' ? fullSize : 0;
      transfers[r.host] = before ? { ...before, bytes: before.bytes + bytes } : { how: bytes > 0 ? 'full' : 'none', bytes };
      (r.status === 'changed' ? sent : present).push(r.host);
    }
  }
  for (const [host, t] of Object.entries(transfers)) {
    if (t.how === 'delta' && !sent.includes(host)) sent.push(host);
    remember(stateDir, host, image, app);
  }
  return { sent: sent.sort(), present: present.sort(), transfers };
}
