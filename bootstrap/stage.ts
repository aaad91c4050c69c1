import { VzError } from '../base/errors.ts';
import type { Connect, Login, RemoteCall, StepResult } from './runner.ts';

export interface StageHow {
  /** Verdicts returned instead of thrown. */
  tolerate?: ('failed' | 'unreachable')[];
  /** A probe through command or raw, which ansible always counts as a change: it changes nothing. */
  readOnly?: boolean;
  /** A try whose failure is expected: not reported as a step. */
  silent?: boolean;
}

export type StepLog = { label: string; status: StepResult['status'] }[];

/** One stage of the bootstrap: one login's calls; any failed step ends the bootstrap with its message. */
export class Stage {
  private readonly runner: ReturnType<Connect>;
  private readonly address: string;
  private readonly log: StepLog;
  private readonly onStep?: (label: string, result: StepResult) => void;

  constructor(connect: Connect, login: Login, log: StepLog, onStep?: (label: string, result: StepResult) => void) {
    this.runner = connect(login);
    this.address = login.address;
    this.log = log;
    this.onStep = onStep;
  }

  async run(label: string, call: RemoteCall, how: StageHow = {}): Promise<StepResult> {
    const [reported] = await this.runner.run(label, call);
    if (!reported) throw new VzError('system', `newnode ${this.address}: ${label}: ansible reported nothing for the host`);
    const result: StepResult = how.readOnly && reported.status === 'changed' ? { ...reported, status: 'ok' } : reported;
    const bad = result.status === 'failed' || result.status === 'unreachable';
    if (!(how.silent && bad)) {
      this.log.push({ label, status: result.status });
      this.onStep?.(label, result);
    }
    if (bad && !how.tolerate?.includes(result.status as 'failed' | 'unreachable'))
      throw new VzError('system', `newnode ${this.address}: ${label}: ${result.message}`);
    return result;
  }
}
