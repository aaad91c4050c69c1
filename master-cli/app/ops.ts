import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { VzError } from '../../base/errors.ts';
import type { AdhocCall } from '../ansible/argv.ts';
import type { RunTarget } from '../ansible/run.ts';
import type { HostResult } from '../ansible/result.ts';
import { byMode, hostModes } from './host-mode.ts';
import { HOST_IMAGES, HOST_RUNCH, HOST_RUNCH_FLAGS, hostBundleDir, hostImagePath, VZ_HOME } from './host-paths.ts';
import { runchArtifact } from './runch-artifact.ts';
import { HostSteps } from './steps.ts';

export type StepReporter = (label: string, results: HostResult[]) => void;

/** An image file named by its sha256 (vzimage pack): the name is checked against the content before it leaves. */
export function imageDigest(imageFile: string): string {
  const match = /^([0-9a-f]{64})\.tar(\.gz|\.zst)?$/.exec(basename(imageFile));
  if (!match) throw new VzError('usage', `image "${imageFile}" is not named <sha256>.tar[.gz|.zst]: make it with "vzimage pack"`);
  let data: Buffer;
  try {
    data = readFileSync(imageFile);
  } catch {
    throw new VzError('not-found', `image "${imageFile}" cannot be read: check the path`);
  }
  const actual = createHash('sha256').update(data).digest('hex');
  if (actual !== match[1]) throw new VzError('invalid-config', `image "${imageFile}" is corrupt: its sha256 is ${actual}, its name says ${match[1]}`);
  return match[1];
}

/**
 * Make sure the host runs this vzmaster's runch: copy compares checksums first, so an up-to-date host gets no
 * bytes and reports ok; an old one is upgraded in place (atomically, by ansible's copy).
 */
export async function ensureRunch(steps: HostSteps): Promise<void> {
  for (const call of runchInstallCalls()) await steps.run('runch', call);
}

/** The calls that install or upgrade runch on a host (also newnode's, in bootstrap/). */
export function runchInstallCalls(): AdhocCall[] {
  return [
    { module: 'file', args: { path: `${VZ_HOME}/bin`, state: 'directory', mode: '0755' } },
    { module: 'copy', args: { src: runchArtifact(), dest: HOST_RUNCH, mode: '0755' } },
  ];
}

/**
 * Push an image: one stat round trip finds the hosts that already hold it (checksum verified there), only the
 * others get the file, and ansible's copy verifies what arrived (the checksum argument).
 */
export async function pushImage(steps: HostSteps, imageFile: string): Promise<{ sent: string[]; present: string[] }> {
  const digest = imageDigest(imageFile);
  const dest = hostImagePath(imageFile);
  const stats = await steps.run('push', { module: 'stat', args: { path: dest, checksum_algorithm: 'sha256', get_mime: false, get_attributes: false } });
  const present = stats
    .filter((r) => {
      const stat = (r.result as { stat?: { exists?: boolean; checksum?: string } }).stat;
      return stat?.exists && stat.checksum === digest;
    })
    .map((r) => r.host);
  const missing = (steps.hosts ?? []).filter((h) => !present.includes(h));
  const sha1 = createHash('sha1').update(readFileSync(imageFile)).digest('hex');
  if (missing.length > 0) {
    await steps.run('push', { module: 'file', args: { path: HOST_IMAGES, state: 'directory', mode: '0755' } }, missing);
    await steps.run('push', { module: 'copy', args: { src: imageFile, dest, mode: '0644', checksum: sha1 } }, missing);
  }
  return { sent: missing.filter((h) => steps.hosts?.includes(h)), present };
}

/** runch on the host, by argv: the command module passes each word as one argument, no shell in between. */
export function runchArgv(...words: string[]): Record<string, unknown> {
  return { argv: [HOST_RUNCH, ...words] };
}

export interface StartOptions {
  app: string;
  imageFile: string;
  /** The image's config.json with the deploy's env applied; sent as data, replacing the image's. */
  config?: Record<string, unknown>;
}

/**
 * What names a version on a host: the image, and the config sent with it ("<image digest 16>-<config digest 8>").
 * Why the config too: init's line and the table name only the bundle directory, so an env-only change written into
 * the running version's directory would never restart the app; a new directory makes `runch init set` restart it
 * like any new version. The image's digest leads, so `status` still says which image runs.
 */
export function versionName(imageDigestHex: string, config?: Record<string, unknown>): string {
  if (!config) return imageDigestHex.slice(0, 16);
  return `${imageDigestHex.slice(0, 16)}-${createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 8)}`;
}

/** Unpack a pushed image into the app's bundle directory, register the app in the host's table, apply to init. */
export async function startApp(steps: HostSteps, options: StartOptions): Promise<string> {
  const bundle = hostBundleDir(options.app, versionName(imageDigest(options.imageFile), options.config));
  // Unpacked already where the bundle's rootfs exists (a directory per digest never changes): only the others
  // unpack. (unarchive's own `creates` would skip, and the tree callback writes nothing for a skipped host.)
  const stats = await steps.run('unpack', { module: 'stat', args: { path: `${bundle}/rootfs`, get_checksum: false, get_mime: false, get_attributes: false } });
  const unpacked = stats.filter((r) => (r.result as { stat?: { isdir?: boolean } }).stat?.isdir).map((r) => r.host);
  const missing = (steps.hosts ?? []).filter((h) => !unpacked.includes(h));
  if (missing.length > 0) {
    await steps.run('unpack', { module: 'file', args: { path: bundle, state: 'directory', mode: '0755' } }, missing);
    await steps.run('unpack', { module: 'unarchive', args: { src: hostImagePath(options.imageFile), dest: bundle, remote_src: true, extra_opts: ['--numeric-owner'] } }, missing);
  }
  if (options.config)
    await steps.run('config', { module: 'copy', args: { content: `${JSON.stringify(options.config, null, 2)}\n`, dest: `${bundle}/config.json`, mode: '0644' } });
  // One call per host mode (the inventory's vz_mode; one call in all when every host has the same): switch the
  // host to its mode if it is not, add the entry or point it at the new bundle, apply (init mode: restart a
  // container still running another version, since init's line does not name the bundle; supervisor mode: the
  // supervisor restarts it on the reload). runch prints "no change" when nothing changed: that host is ok.
  const modes = hostModes(steps.inventory);
  for (const [mode, hosts] of byMode(steps.hosts ?? [], modes))
    await steps.run('register', { module: 'command', args: runchArgv('init', 'set', options.app, '--bundle', bundle, '--mode', mode, ...HOST_RUNCH_FLAGS) }, hosts, changedUnlessSaid);
  await steps.run('prune', { module: 'command', args: { argv: ['sh', '-c', PRUNE_VERSIONS, 'vz-prune', dirname(bundle), basename(bundle), String(KEPT_VERSIONS)] } }, undefined, (r) => (r.result.stdout ?? '') !== '');
  return bundle;
}

/** Versions of an app a host keeps: the running one and the newest others, so a rollback needs no new unpack. */
export const KEPT_VERSIONS = 3;

/**
 * Removes an app's older version directories on a host (cheap VPS disks are small, and every env change is a
 * version): all but the newest "$3" by mtime, never "$2" (the one just set), only vz's names (hex and "-"). Constant text; the app's directory and
 * names arrive as arguments. Prints each directory it removes.
 */
const PRUNE_VERSIONS = `cd "$1" || exit 0
ls -1t | tail -n +"$(($3 + 1))" | while IFS= read -r old; do
  [ "$old" = "$2" ] && continue
  case $old in *[!0-9a-f-]*) continue ;; esac
  rm -rf -- "$old" && echo "$old"
done
`;

/** runch's own verdict on an edit (the command module always reports changed). */
function changedUnlessSaid(r: HostResult): boolean {
  return !/^no change\b/m.test(r.result.stdout ?? '');
}

/** Stop an app for good: its entry goes off and init (or the host's supervisor) stops the process; `start` puts it back. */
export async function stopApp(steps: HostSteps, app: string): Promise<void> {
  await steps.run('stop', { module: 'command', args: runchArgv('init', 'stop', app, ...HOST_RUNCH_FLAGS) }, undefined, changedUnlessSaid);
}

export async function removeApp(steps: HostSteps, app: string): Promise<void> {
  await steps.run('remove', { module: 'command', args: runchArgv('init', 'remove', app, ...HOST_RUNCH_FLAGS) }, undefined, changedUnlessSaid);
}

export function newSteps(target: RunTarget, limit: string | undefined, onStep?: StepReporter): HostSteps {
  return new HostSteps(target, limit, onStep);
}
