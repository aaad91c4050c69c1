import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import { cpus } from 'node:os';
import { type AppTop, type HostTop, type TopAnswer, VZ_HOME } from '../../base/host-contract.ts';
import { isAlive, listPids } from '../../base/proc.ts';
import { modeFile, readMode } from '../../inittab-gen/mode.ts';
import { readTally } from '../../inittab-gen/tally.ts';
import { liveSupervisor } from '../../supervisor/control.ts';
import { readState, stateDir } from '../../supervisor/state/file.ts';
import { containerPids } from '../container/members.ts';
import type { HostContext } from './context.ts';
import { appRows } from './status.ts';

/**
 * /proc/PID/stat counts CPU time in USER_HZ ticks, which Linux fixes at 100 on every architecture vz runs on (x86,
 * i386, arm); Node cannot ask sysconf(_SC_CLK_TCK).
 */
const TICKS_PER_S = 100;

/** utime + stime of one process (all its threads), in ticks; undefined when it is gone. */
function cpuTicks(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** VmRSS of one process, bytes (0 for a kernel thread or a process gone meanwhile). */
function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** Every process of a running app: its container's members (runch/container/members.ts), else its main pid. */
function membersOf(ctx: HostContext, id: string, pid: number | undefined): number[] {
  try {
    if (ctx.host.store.exists(id)) {
      const state = ctx.host.store.load(id);
      if (state.status !== 'stopped') return containerPids(state);
    }
  } catch {
    // a damaged state reads as no state: the main pid alone
  }
  return pid ? [pid] : [];
}

function meminfo(): { total: number; available: number } {
  const text = readFileSync('/proc/meminfo', 'latin1');
  const kb = (key: string) => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  };
  // MemAvailable came with Linux 3.14; an older (OpenVZ) kernel gets the estimate it replaced.
  const available = kb('MemAvailable') ?? (kb('MemFree') ?? 0) + (kb('Buffers') ?? 0) + (kb('Cached') ?? 0);
  return { total: kb('MemTotal') ?? 0, available };
}

function disk(paths: string[]): { free: number; total: number } {
  for (const path of paths) {
    try {
      const s = statfsSync(path);
      return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
    } catch {
      // not there yet: the next one up
    }
  }
  return { free: 0, total: 0 };
}

/**
 * vz's own resident processes: in supervisor mode the supervisor; in either mode a `runch init exec` that waits out a
 * restart delay (its pid is in the app's tally). Known by recorded pid + start time, never by name.
 */
function vzPids(ctx: HostContext, ids: string[]): number[] {
  const pids = new Set<number>();
  const supervisor = liveSupervisor(readState(stateDir()));
  if (supervisor) pids.add(supervisor);
  for (const id of ids) {
    const waiter = readTally(ctx.host.store, id)?.waiter;
    if (waiter && isAlive(waiter.pid, waiter.startTime)) pids.add(waiter.pid);
  }
  return [...pids];
}

function hostFigures(ctx: HostContext, ids: string[], sampleMs: number): HostTop {
  const load = readFileSync('/proc/loadavg', 'latin1').split(' ').slice(0, 3).map(Number) as [number, number, number];
  const mem = meminfo();
  const space = disk([VZ_HOME, ctx.config.bundles, '/']);
  const vz = vzPids(ctx, ids);
  return {
    load,
    cpus: Math.max(1, cpus().length),
    memTotalBytes: mem.total,
    memAvailableBytes: mem.available,
    diskFreeBytes: space.free,
    diskTotalBytes: space.total,
    vzRssBytes: vz.reduce((sum, pid) => sum + rssBytes(pid), 0),
    vzProcesses: vz.length,
    sampleMs,
  };
}

/**
 * `runch host top`: status's rows plus CPU, memory and fds of each app's processes, and the host's own figures, in
 * one answer. CPU is two reads of every member's ticks `sampleMs` apart (a rate needs two points; what the process
 * used over its whole life says nothing of now); the rows, members and host figures are read while the interval runs.
 */
export async function hostTop(ctx: HostContext, request: { app?: string; sampleMs: number }): Promise<TopAnswer> {
  // The first read is of every process, before the rows and members are worked out: that work runs inside the
  // interval instead of before it (a process that appears later began within it: all its time counts).
  const started = process.hrtime.bigint();
  const before = new Map(listPids().map((pid) => [pid, cpuTicks(pid)]));
  const rows = appRows(ctx, request.app);
  const supervised = readMode(modeFile(ctx.config.table)) === 'supervisor';
  const units = supervised ? new Map((readState(stateDir())?.units ?? []).map((u) => [u.id, u.restarts])) : undefined;
  const members = rows.map((row) => (row.pid ? membersOf(ctx, row.id, row.pid) : []));
  const host = hostFigures(ctx, rows.map((r) => r.id), request.sampleMs);
  const spentMs = Number(process.hrtime.bigint() - started) / 1e6;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, request.sampleMs - spentMs)));
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const now = Date.now();
  const apps = rows.map((row, i): AppTop => {
    let ticks = 0;
    let rss = 0;
    let fds = 0;
    let processes = 0;
    for (const pid of members[i]) {
      const last = cpuTicks(pid);
      if (last === undefined) continue; // exited during the sample
      ticks += Math.max(0, last - (before.get(pid) ?? 0));
      rss += rssBytes(pid);
      fds += openFds(pid);
      processes++;
    }
    const restarts = units ? (units.get(row.id) ?? 0) : initRestarts(ctx, row.id);
    const top: AppTop = { ...row, restarts, cpuPct: round((ticks / TICKS_PER_S / elapsedS) * 100), rssBytes: rss, fds, processes };
    if (row.pid && row.since) top.uptimeS = Math.max(0, Math.round((now - Date.parse(row.since)) / 1000));
    return top;
  });
  return { ok: true, mode: supervised ? 'supervisor' : 'init', host, apps };
}

/**
 * Init mode's restarts: init respawns without counting, and the tally keeps only the recent spawns (two start-limit
 * windows, at most 16), so this is the restarts among them, or the tally's own count where a runch wrote one.
 */
function initRestarts(ctx: HostContext, id: string): number {
  const tally = readTally(ctx.host.store, id);
  return tally ? Math.max(tally.policy.restarts, tally.spawns.length - 1) : 0;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
