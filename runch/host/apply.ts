import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomicSync } from '../../base/atomic.ts';
import { VzError } from '../../base/errors.ts';
import { type ApplyAnswer, type ApplyRequest, applyRequestSchema, type HostSelf, type Restart } from '../../base/host-contract.ts';
import { unpack } from '../../image/unpack.ts';
import { configForRuntime } from '../oci/runtime-config.ts';
import { requireCgroups, runtimeBinary } from '../oci/runtime-program.ts';
import { type EntrySpec, setEntry } from '../../inittab-gen/manage.ts';
import { detectInit } from '../../inittab-gen/detect.ts';
import { modeFile, readMode } from '../../inittab-gen/mode.ts';
import { refusal, type TableInit } from '../../inittab-gen/policy-table.ts';
import { readTable } from '../../supervisor/table/index.ts';
import type { HostContext } from './context.ts';
import { setHostRuntime } from './config.ts';
import { waitHealthy } from './health.ts';
import { appRows } from './status.ts';
import { ensureVolumes, hostConfigJson, volumesDir } from './volumes.ts';

/** A refusal that names the fix: init mode cannot honour this field, the supervisor can. */
export class NeedsSupervisor extends VzError {
  readonly hostCode = 'needs-supervisor' as const;
}

/** The policy table's row for this host's init; an init vz cannot detect is judged as the strictest (sysvinit). */
function rowOf(initKind: string | undefined): TableInit {
  return initKind === 'busybox' || initKind === 'systemd' || initKind === 'openrc' ? initKind : 'sysvinit';
}

/**
 * The manifest's restart and schedule as a table entry, for the host's mode. What init cannot honour is refused
 * before anything changes, in the policy table's words (inittab-gen/policy-table.ts, one source): sysvinit runs `no`
 * once and respawns `always` / `unless-stopped` (a stop sets the entry off, which init keeps); systemd also honours
 * on-failure[:N] natively.
 */
export function entrySpec(bundle: string, restart: Restart, schedule: string | undefined, mode: 'init' | 'supervisor', initKind: () => string | undefined = () => undefined): EntrySpec {
  if (mode === 'init') {
    const row = rowOf(initKind());
    const feature = schedule !== undefined ? 'schedule' : restart.policy;
    const what = schedule !== undefined ? `schedule "${schedule}"` : `restart "${restart.policy}${restart.max === undefined ? '' : `:${restart.max}`}"`;
    const why = refusal(row, feature, what);
    if (why) throw new NeedsSupervisor('usage', why);
  }
  return { bundle, once: restart.policy === 'no' && schedule === undefined, schedule, restart: restart.policy, restartMax: restart.max };
}

/**
 * A host switched to init mode takes every entry of its table along: one that init would run differently (a cron
 * schedule, on-failure) is refused, naming it, before anything changes.
 */
function refuseInitSwitch(ctx: HostContext, app: string): void {
  if (readMode(modeFile(ctx.config.table)) === 'init') return;
  const row = rowOf(initKind(ctx));
  const other = readTable(ctx.config.table).entries.find((e) => e.id !== app && e.action !== 'off' && refusal(row, e.action === 'cron' ? 'schedule' : e.restart, '') !== undefined);
  if (other)
    throw new NeedsSupervisor('usage', `this host's app "${other.id}" ${other.action === 'cron' ? `runs on a schedule (${other.schedule})` : `has restart on-failure`}, which init mode cannot honour: stop or remove it first ("vzmaster stop ${other.id}"), or keep vz_mode: supervisor`);
}

/** Which init runs here, asked only when it matters (an init that is none vz knows fails the apply later, in one line). */
function initKind(ctx: HostContext): string | undefined {
  try {
    return detectInit(ctx.host.init).kind;
  } catch {
    return undefined;
  }
}

/**
 * The cgroup runc or crun puts an app in (they always make one; runch makes none): relative, so runc places it under
 * the cgroup it was started in on cgroup v1 (init's, or a systemd unit's), and under that cgroup's parent on a
 * cgroup2-only host (a systemd unit's slice: `system.slice/vz/<host>/<app>`, beside the unit, not in it); in vz's
 * subtree, then the host's inventory name, which keeps apart two hosts of one machine (a lab) running the same app.
 */
export function cgroupsPathOf(app: string, self?: HostSelf): string {
  return `vz/${self?.name ?? 'host'}/${app}`;
}

const VERSION_DIR = /^[0-9a-f-]+$/;

/** Remove an app's older version directories: all but the newest `keep` by mtime, never `current`. */
function prune(appDir: string, current: string, keep: number): string[] {
  const versions = readdirSync(appDir)
    .filter((name) => VERSION_DIR.test(name))
    .map((name) => ({ name, mtime: statSync(join(appDir, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  const removed: string[] = [];
  for (const { name } of versions.slice(keep)) {
    if (name === current) continue;
    rmSync(join(appDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * `runch host apply`: this host runs `app` at `version` as the request says. Unpacks the pushed image if the version
 * is not there yet (its digest checked first, hostile entries refused: image/unpack.ts), writes config.json,
 * registers the entry with its restart policy or schedule, applies it to init or the supervisor (switching the
 * host's mode first when asked), prunes old versions, and optionally waits for health. A refusal changes nothing.
 */
export async function applyApp(ctx: HostContext, input: ApplyRequest, self?: HostSelf): Promise<ApplyAnswer> {
  const request = applyRequestSchema.parse(input);
  const appDir = join(ctx.config.bundles, request.app);
  const bundle = join(appDir, request.version);
  const spec = entrySpec(bundle, request.restart, request.schedule, request.mode, () => initKind(ctx));
  if (request.mode === 'init') refuseInitSwitch(ctx, request.app);
  if (request.runtime !== 'runch') {
    // not installed, or no cgroup mount to put its containers in: refused before anything changes
    runtimeBinary(request.runtime);
    requireCgroups(request.runtime);
  }
  const notes: string[] = [];
  let changed = false;
  if (!existsSync(join(bundle, 'rootfs'))) {
    const image = join(ctx.config.images, request.image);
    if (!existsSync(image)) throw new VzError('not-found', `image ${request.image} is not in ${ctx.config.images}: push it first ("vzmaster push")`);
    rmSync(bundle, { recursive: true, force: true }); // an incomplete version (no rootfs) is unpacked again
    await unpack(image, bundle);
    notes.push(`unpacked ${request.version}`);
    changed = true;
  }
  // The newest version by mtime is the one just set: prune keeps it, and a rollback's reuse counts as new.
  const now = new Date();
  utimesSync(bundle, now, now);
  const volumes = request.volumes ?? {};
  const user = (request.config.process as { user?: { uid?: number; gid?: number } } | undefined)?.user;
  const made = ensureVolumes(ctx.config, request.app, volumes, { uid: user?.uid ?? 0, gid: user?.gid ?? 0 });
  if (made.length > 0) {
    notes.push(`volume ${made.join(', ')} made`);
    changed = true;
  }
  const ownConfig = hostConfigJson(request.config, self, volumesDir(ctx.config, request.app), volumes);
  const config = `${JSON.stringify(configForRuntime(ownConfig, request.runtime, { cgroupsPath: cgroupsPathOf(request.app, self) }), null, 2)}\n`;
  const configPath = join(bundle, 'config.json');
  if (!existsSync(configPath) || readFileSync(configPath, 'utf8') !== config) {
    writeAtomicSync(configPath, config);
    changed = true;
  }
  const outcome = await setEntry(ctx.host, request.app, spec, request.mode);
  if (outcome.switched) notes.push(`mode: ${request.mode}`);
  if (outcome.stoppedOld) notes.push('stopped on its old version, started on the new one');
  if (outcome.notStarted) notes.push('the supervisor has not started it yet (is "runch supervise" running?)');
  if (outcome.switched || outcome.stoppedOld || outcome.result.tableChanged || outcome.result.reloaded) changed = true;
  if (ctx.config.runtime !== request.runtime) {
    ctx.config = setHostRuntime(ctx.config, request.runtime);
    notes.push(`runtime: ${request.runtime}`);
    changed = true;
  }
  const pruned = prune(appDir, request.version, request.keep);
  if (pruned.length > 0) {
    notes.push(`pruned ${pruned.join(', ')}`);
    changed = true;
  }
  const health = request.health ? await waitHealthy(ctx, request.app, request.health, self?.addr ?? '127.0.0.1') : undefined;
  const row = appRows(ctx, request.app)[0];
  const answer: ApplyAnswer = { ok: true, changed, state: row?.state ?? 'unknown', notes };
  if (row?.pid) answer.pid = row.pid;
  if (health) {
    answer.healthy = health.healthy;
    if (health.why) answer.why = health.why;
  }
  return answer;
}
