import type { AdhocCall } from '../ansible/argv.ts';
import { runAdhoc, type RunTarget } from '../ansible/run.ts';
import { settleChanged, type HostResult } from '../ansible/result.ts';

/** A run over several ad-hoc calls: each call goes only to the hosts every earlier call succeeded on. */
export class HostSteps {
  private readonly target: RunTarget;
  private readonly failed = new Map<string, HostResult>();
  private readonly changed = new Set<string>();
  private readonly limit: string | undefined;
  private alive: string[] | undefined;
  readonly onStep?: (label: string, results: HostResult[]) => void;

  constructor(target: RunTarget, limit: string | undefined, onStep?: (label: string, results: HostResult[]) => void) {
    this.target = target;
    this.limit = limit;
    this.onStep = onStep;
  }

  /** The inventory the run's calls go to (vzmaster reads host vars from it, e.g. vz_mode). */
  get inventory(): string {
    return this.target.inventory;
  }

  /** Hosts still in the run (undefined before the first call: every host the limit matches). */
  get hosts(): string[] | undefined {
    return this.alive;
  }

  /**
   * One call. `changedWhen` is ad-hoc's missing `changed_when`: the command module always says changed, so a call
   * whose program tells (runch prints "no change") is reclassified ok where it returns false.
   */
  async run(label: string, call: AdhocCall, only?: string[], changedWhen?: (r: HostResult) => boolean): Promise<HostResult[]> {
    const pool = only ?? this.alive;
    if (pool && pool.length === 0) return [];
    const limit = pool ? pool.join(',') : this.limit;
    const outcome = await runAdhoc(this.target, { ...call, limit });
    const results = changedWhen ? outcome.hosts.map((r) => settleChanged(r, changedWhen)) : outcome.hosts;
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
