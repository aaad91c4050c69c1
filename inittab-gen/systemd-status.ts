import { execFileSync } from 'node:child_process';

/** One vz unit as systemd reports it. */
export interface UnitState {
  active: string;
  sub: string;
  result: string;
  mainPid: number;
  restarts: number;
  started?: string;
}

export const UNIT_PROPERTIES = 'Id,ActiveState,SubState,Result,MainPID,NRestarts,ExecMainStartTimestamp';

/** `systemctl show`'s answer for several units: blocks of key=value lines, one block per unit, blank-line separated. */
export function parseShow(text: string): Map<string, UnitState> {
  const units = new Map<string, UnitState>();
  for (const block of text.split(/\n\s*\n/)) {
    const values = new Map(block.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const id = values.get('Id');
    const match = id ? /^vz-(.+)\.service$/.exec(id) : null;
    if (!match) continue;
    units.set(match[1], {
      active: values.get('ActiveState') ?? '',
      sub: values.get('SubState') ?? '',
      result: values.get('Result') ?? '',
      mainPid: Number(values.get('MainPID') ?? 0),
      restarts: Number(values.get('NRestarts') ?? 0),
      started: values.get('ExecMainStartTimestamp') || undefined,
    });
  }
  return units;
}

/**
 * Every id's unit in ONE `systemctl show` call (a status of many apps stays one process, not one per app);
 * an empty map when systemctl cannot answer (the caller keeps runch's own view).
 */
export function systemdUnits(ids: string[]): Map<string, UnitState> {
  if (ids.length === 0) return new Map();
  try {
    const text = execFileSync('systemctl', ['show', '-p', UNIT_PROPERTIES, '--', ...ids.map((id) => `vz-${id}.service`)], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
    return parseShow(text);
  } catch {
    return new Map();
  }
}
