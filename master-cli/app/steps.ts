import type { AdhocCall } from '../ansible/argv.ts';
import type { RunTarget } from '../ansible/run.ts';
import type { HostResult } from '../ansible/result.ts';
import { adhoc } from './adhoc.ts';

/** A run over several ad-hoc calls: each call goes only to the hosts every earlier call succeeded on. */
export class HostSteps {
  private readonly target: RunTarget;
  private readonly failed = new Map<string, HostResult>();
  private readonly changed = new Set<string>();
  private readonly limit: string | undefined;
  private alive: string[] | undefined;
  readonly onStep?: (label: string, results: HostResult[]) => void;

  /** `hosts`: the run's hosts when the caller knows them (a deploy's batch); else the first call's, from `limit`. */
  constructor(target: RunTarget, limit: string | undefined, onStep?: (label: string, results: HostResult[]) => void, hosts?: string[]) {
    this.target = target;
    this.limit = limit;
    this.onStep = onStep;
    this.alive = hosts ? [...hosts] : undefined;
  }

  /** The inventory the run's calls go to (vzmaster reads host vars from it, e.g. vz_mode). */
  get inventory(): string {
    return this.target.inventory;
  }

  /** The master's state directory of the run (vzmaster keeps what it pushed where there). */
  get stateDir(): string {
    return this.target.stateDir;
  }

  /** The run's target (inventory, state, ansible). */
  get runTarget(): RunTarget {
    return this.target;
  }

  /** The run's --limit as given. */
  get limitPattern(): string | undefined {
    return this.limit;
  }

  /** Hosts still in the run (undefined before the first call when the caller gave none: every host the limit matches). */
  get hosts(): string[] | undefined {
    return this.alive;
  }

  /**
   * One call, to `only` (a subset of the run) or every host still in it. `settle` restates a host's result from what
   * its program answered (ad-hoc has no changed_when: the command module always says changed).
   */
  async run(label: string, call: AdhocCall, only?: string[], settle?: (r: HostResult) => HostResult): Promise<HostResult[]> {
    const pool = only ? only.filter((h) => !this.alive || this.alive.includes(h)) : this.alive;
    if (pool && pool.length === 0) return [];
    const limit = pool ? pool.join(',') : this.limit;
    const outcome = await adhoc(this.target, { ...call, limit });
    const results = settle ? outcome.hosts.map(settle) : outcome.hosts;
    for (const r of results) {
      if (r.status === 'failed' || r.status === 'unreachable') this.failed.set(r.host, { ...r, message: `${label}: ${r.message}` });
      if (r.status === 'changed') this.changed.add(r.host);
    }
    // A host leaves the run when this call failed there; hosts outside `only` stay as they were.
    const failedNow = new Set(results.filter((r) => r.status === 'failed' || r.status === 'unreachable').map((r) => r.host));
    this.alive = (this.alive ?? results.map((r) => r.host)).filter((h) => !failedNow.has(h));
    this.onStep?.(label, results);
    return results;
  }

  /** Mark a host failed from what the caller learned (an unhealthy answer): it leaves the run. */
  fail(host: string, message: string): void {
    this.failed.set(host, { host, status: 'failed', message, result: {} });
    this.alive = (this.alive ?? []).filter((h) => h !== host);
  }

  /** The per-host verdict of the whole run: failed or unreachable at any step wins over changed, then ok. */
  summary(): { host: string; status: HostResult['status']; message: string }[] {
    const hosts = new Set([...(this.alive ?? []), ...this.failed.keys()]);
    return [...hosts].sort().map((host) => {
      const failure = this.failed.get(host);
      if (failure) return { host, status: failure.status, message: failure.message };
      return { host, status: this.changed.has(host) ? 'changed' : 'ok', message: '' };
    });
  }
}
