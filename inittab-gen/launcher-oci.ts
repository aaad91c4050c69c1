import type { ContainerSpec } from '../runch/oci/load.ts';
import { runtimeOf } from '../runch/oci/runtime-config.ts';
import { cleanupHook, deleteVerb, type OciRuntime, runtimeArgv, runVerb } from '../runch/oci/runtime-program.ts';
import { OCI_VERSION, type StateStore } from '../runch/state/store.ts';
import { shWord } from '../runch/container/compile.ts';
import { INIT_MODE_ANNOTATION } from './mode.ts';

/**
 * Init mode's launcher under runc or crun (a bundle whose config.json was written for one: runch/oci/runtime-config.ts).
 * The launcher's policy part (backoff, tally) is the same as runch's; instead of exec'ing a compiled chroot it
 * deletes what a previous run of the runtime left (a runtime killed with SIGKILL leaves its container) and execs
 * the runtime in the foreground: init's process is the runtime, which forwards init's signals to the container and
 * exits with its status, so a kill -9 of the program is a respawn. runch's state records the runtime's pid (status,
 * stop and logs work as for runch), with a poststop hook that deletes the runtime's container whenever runch's record
 * goes (runch/oci/runtime-program.ts). A log over the entry's log-size is handed to runch at a start, as runch's own
 * launcher hands it: nothing of vz stays to rotate it under the runtime either.
 */
export interface OciLaunch {
  runtime: OciRuntime;
  id: string;
  bundle: string;
  /** runch's state.json around the pid, start time and creation time, as the compiled launcher writes it. */
  stateJson: [string, string];
  run: string[];
  cleanup: string[];
}

/** The launch of a bundle written for runc or crun; undefined for runch's own (the compiled launcher). */
export function ociLaunchOf(spec: ContainerSpec, store: StateStore, id: string): OciLaunch | undefined {
  const runtime = runtimeOf(spec.annotations);
  if (runtime === 'runch') return undefined;
  const head = `{"ociVersion":${JSON.stringify(OCI_VERSION)},"id":${JSON.stringify(id)},"status":"created",`;
  const tail = [
    `"bundle":${JSON.stringify(spec.bundle)}`,
    `"rootfs":${JSON.stringify(spec.rootfs)}`,
    `"annotations":${JSON.stringify({ ...spec.annotations, [INIT_MODE_ANNOTATION]: 'init' })}`,
    // The mounts are the runtime's, in its own namespace: runch has none to undo on the host.
    `"mountNamespace":true`,
    `"hooks":${JSON.stringify({ poststop: [cleanupHook(runtime, store.root, id)] })}}`,
  ].join(',');
  return { runtime, id, bundle: spec.bundle, stateJson: [head, tail], run: runtimeArgv(runtime, store.root, runVerb(id, spec.bundle)), cleanup: runtimeArgv(runtime, store.root, deleteVerb(id)) };
}

/** launcher.ts's pieces of a start's checks, the same words as runch's own launcher has. */
export interface StartChecks {
  /** need=rotate when `$1` (the log's size, one stat) is over the entry's log-size; undefined: log-size 0. */
  rotate: string | undefined;
  /** When `need` is set: `runch init prepare` (it rotates the log), then the launcher again with --prepared. */
  handOver: string[];
}

/**
 * The launcher's last part for a runtime (after the backoff wait, which stays open: this closes it). Its one check at
 * a start is the log's size (one stat of the log); the runtime itself reads config.json and makes the mounts, so
 * neither a stale digest nor a mount-namespace answer concerns it. A start with --prepared skips the check.
 */
export function ociLauncherLines(oci: OciLaunch, checks: StartChecks): string[] {
  return [
    ...(checks.rotate ? ['  need=', '  set -- $("$statbin" -L -c %s -- "$log" 2>/dev/null)', checks.rotate, ...checks.handOver] : []),
    '  [ "$delay" -gt 0 ] || wtally',
    'fi',
    `${oci.cleanup.map(shWord).join(' ')} >/dev/null 2>&1`,
    'now_ms',
    `{ printf %s ${shWord(oci.stateJson[0])}; printf '"pid":%s,"startTime":%s,"created":"' $$ "$start"; iso $((now / 1000)) $((now % 1000)); printf '",%s\\n' ${shWord(oci.stateJson[1])}; } >"$dir/.stage/state.json" || exit 125`,
    'st=running le=$now',
    'tally 0 0 0 >"$dir/.stage/respawn" && "$mvbin" -f -- "$dir/.stage/state.json" "$dir/.stage/respawn" "$dir/" || exit 125',
    `exec ${oci.run.map(shWord).join(' ')}`,
  ];
}
