import { VzError } from '../../base/errors.ts';
import type { Restart } from '../../base/host-contract.ts';
import { type Feature, POLICY_TABLE, refusal, TABLE_INITS, type TableInit } from '../../base/policy-table.ts';
import type { RunTarget } from '../ansible/run.ts';
import { adhoc } from '../app/adhoc.ts';
import type { HostMode } from '../app/host-mode.ts';
import { parseFacts, PROBE_ARGV } from '../nodes/probe.ts';

/** A manifest field an init may not honour: the policy table's feature, and the field as the user wrote it. */
export interface Asked {
  feature: Feature;
  what: string;
}

/** What a manifest asks of a host's init, in the order it is judged: the schedule first, then the restart policy. */
export function askedOf(restart: Restart, restartText: string, schedule?: string): Asked[] {
  return [...(schedule !== undefined ? [{ feature: 'schedule' as const, what: `schedule "${schedule}"` }] : []), { feature: restart.policy, what: `restart "${restartText}"` }];
}

/** Is the hosts' init worth asking for? Only when some init refuses something asked (always is honoured by all). */
export function initMatters(asked: Asked[]): boolean {
  return asked.some((a) => TABLE_INITS.some((init) => POLICY_TABLE[init][a.feature].support === 'refused'));
}

const isTableInit = (init: string | undefined): init is TableInit => init !== undefined && init !== 'supervisor' && (TABLE_INITS as readonly string[]).includes(init);

/**
 * The refusal of a deploy whose targets include an init-mode host whose init cannot honour a field, as one line
 * naming the first such host, the field and the fix (supervisor mode), and the other hosts that refuse too; undefined
 * when every target honours the manifest. A host whose init is unknown (it did not answer the probe) is left to judge
 * for itself when applying: it refuses from the same table.
 */
export function initRefusal(targets: string[], modes: Map<string, HostMode>, inits: Map<string, string>, asked: Asked[]): string | undefined {
  const refusals: { host: string; line: string }[] = [];
  for (const host of targets) {
    const init = inits.get(host);
    if ((modes.get(host) ?? 'init') !== 'init' || !isTableInit(init)) continue;
    const line = asked.map((a) => refusal(init, a.feature, a.what)).find((l) => l !== undefined);
    if (line) refusals.push({ host, line });
  }
  if (refusals.length === 0) return undefined;
  const [first, ...others] = refusals;
  return `${first.host}: ${first.line}${others.length > 0 ? ` (${others.map((r) => r.host).join(', ')} too)` : ''}`;
}

/**
 * Each host's init as `vzmaster nodes` sees it: the same read-only probe, in one ansible run (which deploy runs beside
 * its status round trip, so it costs no time). Hosts that do not answer are left out.
 */
export async function probeInits(target: RunTarget): Promise<Map<string, string>> {
  const outcome = await adhoc(target, { module: 'command', args: { argv: PROBE_ARGV }, connectTimeout: 5, taskTimeout: 30 });
  const inits = new Map<string, string>();
  for (const r of outcome.hosts) {
    const facts = r.status === 'ok' || r.status === 'changed' ? parseFacts(r.result.stdout ?? '') : undefined;
    if (facts) inits.set(r.host, facts.init);
  }
  return inits;
}

/** Refuse (VzError, before any host changes) what a target init-mode host cannot honour. */
export function refuseWhatInitsCannotHonour(targets: string[], modes: Map<string, HostMode>, inits: Map<string, string>, asked: Asked[]): void {
  const line = initRefusal(targets, modes, inits, asked);
  if (line) throw new VzError('invalid-config', line);
}
