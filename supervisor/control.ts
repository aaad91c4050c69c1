import { isAlive } from '../base/proc.ts';
import { readState, type SupervisorState } from './state/file.ts';

/** The supervisor recorded in a state dir, if it is alive (pid + kernel start time, never a reused pid). */
export function liveSupervisor(state: SupervisorState | undefined): number | undefined {
  const s = state?.supervisor;
  return s && s.running && isAlive(s.pid, s.startTime) ? s.pid : undefined;
}

/** Ask a running supervisor to reload now (it also watches the table); false when none listens. */
export function notifySupervisor(dir: string): boolean {
  const pid = liveSupervisor(readState(dir));
  if (pid === undefined) return false;
  try {
    process.kill(pid, 'SIGHUP');
    return true;
  } catch {
    return false;
  }
}
