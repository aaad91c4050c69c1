import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeAtomic } from '../base/atomic.ts';
import { compileContainer, type CompiledContainer, renderExec, shWord, stateJsonParts } from '../runch/container/compile.ts';
import { hostBinary } from '../runch/container/hostbin.ts';
import { loadBundle } from '../runch/oci/load.ts';
import type { StateStore } from '../runch/state/store.ts';
import { DEFAULT_POLICY, type PolicyConfig } from '../supervisor/policy/index.ts';
import { INIT_MODE_ANNOTATION } from './mode.ts';
import { type OciLaunch, ociLauncherLines, ociLaunchOf } from './launcher-oci.ts';
import { initPolicy } from './tally.ts';

/**
 * Init mode's compiled launchers: one POSIX sh file per container, written when an entry is applied, run by init's
 * line, so a respawn starts no Node. It lives beside the table (`launch/<id>`), not beside the state: --root is a
 * tmpfs, and init must find the file again after a reboot. Every value in it is single-quoted data; it evaluates
 * nothing it reads (the tally is read with `read`, numbers checked).
 */
export const launcherDir = (table: string) => join(dirname(table), 'launch');
export const launcherPath = (table: string, id: string) => join(launcherDir(table), id);

/**
 * Remove the launcher (and its fstab) of every id not in `keep`: an entry removed from the table, or every entry when
 * the host left init mode. Called once init's lines are gone, so init never spawns a launcher that is no longer there.
 */
export function pruneLaunchers(table: string, keep: Iterable<string>): string[] {
  const kept = new Set(keep);
  let names: string[];
  try {
    names = readdirSync(launcherDir(table));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const id = name.endsWith('.fstab') ? name.slice(0, -'.fstab'.length) : name;
    if (kept.has(id) || name.startsWith('.')) continue; // a dot file is an atomic write under way
    rmSync(join(launcherDir(table), name), { force: true });
    if (id === name) removed.push(id);
  }
  return removed;
}

/** How the launcher reaches runch when something changed (the same words init's line had before launchers). */
export interface RunchWords {
  node: string;
  runch: string;
  /** --root/--table/--log-dir flags when not the defaults. */
  root?: string;
  table?: string;
  logDir?: string;
}

export interface LauncherInput {
  id: string;
  store: StateStore;
  table: string;
  logPath: string;
  /** Bytes: a bigger log makes the launcher call runch, which rotates it (the table's log-size; 0: never). */
  logSize: number;
  runch: RunchWords;
  /** `sha256sum -- config.json table` as printed when the launcher was compiled: a different answer means stale. */
  sums: string;
  /** Their size, mtime (ns) and inode then (`stat -L -c '%s %.9Y %i'`, one line): the same answer means fresh. */
  stamp: string;
  config: string;
  policy: PolicyConfig;
  /** A bundle written for runc or crun: the launcher execs the runtime (launcher-oci.ts). */
  oci?: OciLaunch;
  /** undefined: the bundle did not load; the launcher always hands over to runch (which logs why). */
  compiled?: { container: CompiledContainer; mountNamespace: boolean; rootfs: string; uid: number; gid: number; stateJson: [string, string] };
}

const int = (value: number) => String(Math.max(0, Math.round(value)));

/** The policy decision of supervisor/policy/decide.ts for init (always, start limit), in sh arithmetic. */
function decideSh(p: PolicyConfig): string {
  return `now_ms
set -- $spawns; had=$#; ns=
for s do [ "$s" -gt $((now - ${int(2 * p.startWindowMs)})) ] && ns="$ns $s"; done
set -- $ns $now; while [ $# -gt ${int(2 * p.startLimit)} ]; do shift; done; spawns=$*; count=$#
delay=0
if [ "$had" -eq 0 ]; then sk=0 lp=0 rs=0 deaths= st=running
else
  ran=0; [ "$le" -gt 0 ] && ran=$((now - le)); [ "$ran" -lt 0 ] && ran=0
  [ "$ran" -ge ${int(p.stableMs)} ] && { sk=0 lp=0 deaths=; }
  nd=; for x in $deaths; do [ $((now - x)) -le ${int(p.loopWindowMs)} ] && nd="$nd $x"; done
  set -- $nd $now; while [ $# -gt ${int(Math.max(1, p.loopDeaths))} ]; do shift; done; deaths=$*; nde=$#
  oldlp=$lp sk=$((sk + 1)) lim=0
  if [ ${int(p.startLimit)} -gt 0 ] && [ "$count" -ge ${int(p.startLimit)} ]; then
    set -- $spawns; shift $((count - ${int(p.startLimit)})); lim=$(($1 + ${int(p.startWindowMs)} + 1000 - now)); [ "$lim" -lt 0 ] && lim=0
  fi
  if [ "$oldlp" -gt 0 ] || [ "$nde" -ge ${int(p.loopDeaths)} ]; then
    lp=$((lp + 1)) h=${int(p.loopHoldMs)} i=1
    while [ "$i" -lt "$lp" ] && [ "$h" -lt ${int(p.loopHoldMaxMs)} ]; do h=$((h * 2)) i=$((i + 1)); done
    [ "$h" -gt ${int(p.loopHoldMaxMs)} ] && h=${int(p.loopHoldMaxMs)}
    delay=$h; [ "$lim" -gt "$delay" ] && delay=$lim; deaths= st=crash-loop
  else
    b=${int(p.firstDelayMs)}
    if [ "$sk" -gt 1 ]; then
      b=${int(p.baseMs)} i=2
      while [ "$i" -lt "$sk" ] && [ "$b" -lt ${int(p.capMs)} ]; do b=$((b * ${int(p.factor)})) i=$((i + 1)); done
      [ "$b" -gt ${int(p.capMs)} ] && b=${int(p.capMs)}
      r=$(((now + $$ * 7919) % 1000)); b=$((b * (1000 - ${int(p.jitter * 1000)} + 2 * ${int(p.jitter * 1000)} * r / 1000) / 1000))
      [ "$b" -gt ${int(p.capMs)} ] && b=${int(p.capMs)}
    fi
    if [ "$lim" -gt "$b" ]; then delay=$lim st=crash-loop; else delay=$b st=backoff; fi
  fi
  [ "$delay" -eq 0 ] && st=running
fi`;
}

/**
 * need=rotate when the log's size, word `position` of the last `set --` (a stat), is over the entry's log-size:
 * `runch init prepare` rotates it. undefined for log-size 0 (never rotated), so no stat is paid for it.
 */
function rotateCheck(logSize: number, position: number): string | undefined {
  return logSize > 0 ? `  [ $# -ge ${position} ] && [ "$${position}" -gt ${int(logSize)} ] && need=rotate` : undefined;
}

/** The launcher's text: pure, from the compiled container and paths. */
export function renderLauncher(input: LauncherInput): string {
  const { store, id, compiled } = input;
  const dir = store.dir(id);
  const words = [input.runch.node, input.runch.runch];
  if (input.runch.root) words.push('--root', input.runch.root);
  words.push('init', 'prepare');
  if (input.runch.table) words.push('--table', input.runch.table);
  if (input.runch.logDir) words.push('--log-dir', input.runch.logDir);
  words.push(id);
  const v = (name: string, value: string) => `${name}=${shWord(value)}`;
  // A start whose checks set `need` hands over to runch, then runs the launcher's new self past the checks.
  const handOver = ['  if [ -n "$need" ]; then', '    [ "$delay" -gt 0 ] || wtally', `    ${words.map(shWord).join(' ')} || exit 1`, '    exec /bin/sh "$self" --prepared', '  fi'];
  const lines = [
    '#!/bin/sh',
    `# vz launcher of container ${id}, compiled by runch from ${shWord(input.config)}: do not edit (runch init apply rewrites it).`,
    '# It waits out the backoff, hands over to runch when anything changed, writes the state and execs the container.',
    v('dir', dir),
    v('root', store.root),
    v('log', input.logPath),
    v('cfg', input.config),
    v('self', launcherPath(input.table, id)),
    v('want', input.sums),
    v('mvbin', hostBinary('mv', 'coreutils')),
    v('mkdirbin', hostBinary('mkdir', 'coreutils')),
    v('sleepbin', hostBinary('sleep', 'coreutils')),
    v('shabin', hostBinary('sha256sum', 'coreutils')),
    v('statbin', hostBinary('stat', 'coreutils')),
    v('stamp', input.stamp),
    v('chownbin', hostBinary('chown', 'coreutils')),
    v('tablefile', input.table),
    `prepared=; [ "\${1-}" = --prepared ] && prepared=1`,
    `[ -d "$dir/.stage" ] || "$mkdirbin" -p -m 0711 -- "$dir/.stage" || exit 125`,
    `[ -d "\${log%/*}" ] || "$mkdirbin" -p -- "\${log%/*}"`,
    'exec >>"$log" 2>&1 </dev/null',
    // Epoch ms without a process: boot time (/proc/stat) plus uptime (/proc/uptime, centiseconds).
    'btime=0; while read -r k val; do [ "$k" = btime ] && { btime=$val; break; }; done </proc/stat',
    'now_ms() { read -r up _ </proc/uptime; c=${up#*.}; c=${c#0}; now=$((btime * 1000 + ${up%.*} * 1000 + c * 10)); }',
    // RFC 3339 from epoch seconds (days to civil date, H. Hinnant's algorithm), for state.json and log lines.
    'iso() { z=$(($1 / 86400 + 719468)); e=$((z / 146097)); o=$((z - e * 146097)); ye=$(((o - o / 1460 + o / 36524 - o / 146096) / 365))',
    '  y=$((ye + e * 400)); dy=$((o - (365 * ye + ye / 4 - ye / 100))); mp=$(((5 * dy + 2) / 153)); d=$((dy - (153 * mp + 2) / 5 + 1))',
    '  if [ "$mp" -lt 10 ]; then m=$((mp + 3)); else m=$((mp - 9)); fi; [ "$m" -le 2 ] && y=$((y + 1)); s=$(($1 % 86400))',
    '  printf %04d-%02d-%02dT%02d:%02d:%02d.%03dZ "$y" "$m" "$d" $((s / 3600)) $((s / 60 % 60)) $((s % 60)) "$2"; }',
    'note() { now_ms; printf "[vz "; iso $((now / 1000)) $((now % 1000)); printf "] %s: %s\\n" ' + shWord(id) + ' "$1"; }',
    'read -r stat </proc/self/stat; stat=${stat##*) }; set -f; set -- $stat; shift 19; start=$1',
    // The tally (tally.ts's format): anything but numbers is no tally.
    'st=running le=0 nt=0 rs=0 sk=0 lp=0 spawns= deaths=',
    '{ read -r tv st le nt rs sk lp _ _; read -r spawns; read -r deaths; } 2>/dev/null <"$dir/respawn"',
    'case "${tv-}/$st/$le $nt $rs $sk $lp $spawns $deaths" in 1/running/*|1/backoff/*|1/crash-loop/*) ;; *) st=running le=0 nt=0 rs=0 sk=0 lp=0 spawns= deaths=;; esac',
    'case "$le $nt $rs $sk $lp $spawns $deaths" in *[!0-9\\ ]*) st=running le=0 nt=0 rs=0 sk=0 lp=0 spawns= deaths=;; esac',
    'tally() { printf "1 %s %s %s %s %s %s %s %s\\n%s\\n%s\\n" "$st" "$le" "$1" "$rs" "$sk" "$lp" "$2" "$3" "$spawns" "$deaths"; }',
    'if [ -z "$prepared" ]; then',
    decideSh(initPolicy(input.policy)),
    // The spawn is on disk before anything can fail: with no wait, the final rename (or a hand-over) records it.
    '  wtally() { tally $((delay > 0 ? now + delay : 0)) $$ "$start" >"$dir/.stage/respawn" && "$mvbin" -f -- "$dir/.stage/respawn" "$dir/" || exit 125; }',
    '  if [ "$delay" -gt 0 ]; then',
    '    wtally',
    '    note "$st: $sk quick exit(s) in a row, next start in $((delay / 1000)).$((delay % 1000 / 100)) s"',
    '    "$sleepbin" "$((delay / 1000)).$(printf %03d $((delay % 1000)))"',
    '  fi',
  ];
  if (compiled) {
    lines.push(
      v('rootfs', compiled.rootfs),
      '  need=',
      // Stale: config.json or the table changed since the launcher was compiled.
      // One stat for both files and the log: size, mtime and inode as compiled mean fresh; else the digest decides
      // (same digest, new stamp: runch recompiles once to record it).
      '  set -- $("$statbin" -L -c "%s %.9Y %i" -- "$cfg" "$tablefile" "$log" 2>/dev/null)',
      '  [ "${1-} ${2-} ${3-} ${4-} ${5-} ${6-}" = "$stamp" ] || { need=stamp; [ "$("$shabin" -- "$cfg" "$tablefile" 2>&1)" = "$want" ] || need=stale; }',
      compiled.mountNamespace
        ? '  ans=; read -r ans 2>/dev/null <"$root/.mountns"; [ "$ans" = yes ] || need=probe'
        : '  need=mounts # no mount namespace here: runch unmounts what a predecessor left on the host',
      // A process of the previous run still in the rootfs (or a live run): runch ends it (TERM, timeout, KILL).
      '  set +f; for p in /proc/[0-9]*; do [ "$p/root" -ef "$rootfs" ] && { need=leftovers; break; }; done; set -f',
      rotateCheck(input.logSize, 7) ?? '  :',
      ...handOver,
      'fi',
      ...compiled.container.dirs.map((d) => `[ -d ${shWord(d)} ] || "$mkdirbin" -p -- ${shWord(d)} || exit 125`),
      ...compiled.container.files.map((f) => `[ -e ${shWord(f)} ] || { true >>${shWord(f)}; } || exit 125`),
      compiled.uid !== 0 ? `[ -O "$log" ] && { "$chownbin" ${compiled.uid}:${compiled.gid} -- "$log" || note "cannot give the log to uid ${compiled.uid}"; }` : ':',
      // The state runch reads (store.ts's format), then the tally's "running": both in place with one rename each.
      'now_ms',
      `{ printf %s ${shWord(compiled.stateJson[0])}; printf '"pid":%s,"startTime":%s,"created":"' $$ "$start"; iso $((now / 1000)) $((now % 1000)); printf '",%s\\n' ${shWord(compiled.stateJson[1])}; } >"$dir/.stage/state.json" || exit 125`,
      'st=running le=$now',
      'tally 0 0 0 >"$dir/.stage/respawn" && "$mvbin" -f -- "$dir/.stage/state.json" "$dir/.stage/respawn" "$dir/" || exit 125',
      renderExec(compiled.container),
    );
  } else if (input.oci) {
    lines.push(...ociLauncherLines(input.oci, { rotate: rotateCheck(input.logSize, 1), handOver }));
  } else {
    lines.push('  [ "$delay" -gt 0 ] || wtally', `  ${words.map(shWord).join(' ')} || exit 1`, '  exec /bin/sh "$self" --prepared', 'fi', `${words.map(shWord).join(' ')}; exit 1`);
  }
  return `${lines.join('\n')}\n`;
}

export interface CompileOptions {
  store: StateStore;
  id: string;
  bundle: string;
  table: string;
  logPath: string;
  logSize: number;
  runch: RunchWords;
  mountNamespace: boolean;
  policy?: PolicyConfig;
}

/**
 * Compile entry `id` and write its launcher and fstab atomically (launch/<id>, launch/<id>.fstab). The digest is
 * taken before config.json is read: a change in between makes the launcher stale, never wrongly fresh. A bundle
 * that does not load still gets a launcher (one that hands every start to runch, which logs why); the error is
 * returned for the caller to report.
 */
export async function compileLauncher(options: CompileOptions): Promise<{ path: string; error?: Error }> {
  const { store, id } = options;
  const config = join(options.bundle, 'config.json');
  const path = launcherPath(options.table, id);
  const fstab = `${path}.fstab`;
  mkdirSync(launcherDir(options.table), { recursive: true, mode: 0o755 });
  let sums = '';
  let stamp = '';
  try {
    stamp = execFileSync(hostBinary('stat', 'coreutils'), ['-L', '-c', '%s %.9Y %i', '--', config, options.table], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').join(' ');
    sums = execFileSync(hostBinary('sha256sum', 'coreutils'), ['--', config, options.table], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).replace(/\n$/, '');
  } catch {
    // unreadable: the launcher's check fails too, and hands over to runch
  }
  let compiled: LauncherInput['compiled'];
  let error: Error | undefined;
  try {
    const spec = loadBundle(options.bundle);
    const oci = ociLaunchOf(spec, store, id);
    if (oci) {
      await writeAtomic(path, renderLauncher({ ...options, config, sums, stamp, policy: options.policy ?? DEFAULT_POLICY, oci }), 0o755);
      return { path };
    }
    const container = compileContainer(spec, { fstab, mountNamespace: options.mountNamespace });
    const stateJson = stateJsonParts(spec, id, options.mountNamespace, { ...spec.annotations, [INIT_MODE_ANNOTATION]: 'init' });
    compiled = { container, mountNamespace: options.mountNamespace, rootfs: spec.rootfs, uid: spec.uid, gid: spec.gid, stateJson };
    await writeAtomic(fstab, container.fstab);
  } catch (caught) {
    error = caught as Error;
  }
  const text = renderLauncher({ ...options, config, sums, stamp, policy: options.policy ?? DEFAULT_POLICY, compiled });
  await writeAtomic(path, text, 0o755);
  return { path, error };
}
