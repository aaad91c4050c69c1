/**
 * How bootstrap reaches a host, as an interface it owns: bootstrap/ decides which steps run, as whom and in what
 * order; the master (master-cli/nodes/session.ts, through ansible) decides how a call gets there. Why: the steps
 * stay plain data and bootstrap/ imports nothing of master-cli/.
 */

/** Who logs in for one stage of the bootstrap. */
export interface Login {
  name: string;
  address: string;
  port: number;
  user: string;
  /** root's password for the first login; never on a command line (the runner sends it through a pipe). */
  password?: string;
  keyFile?: string;
  /** Run the calls through sudo. */
  become?: boolean;
}

/** One remote call: a builtin ansible module and its arguments, as data (never a shell string with values in it). */
export interface RemoteCall {
  module: string;
  args?: Record<string, unknown>;
}

export type StepStatus = 'ok' | 'changed' | 'failed' | 'unreachable';

/** One host's verdict on a call, the way ansible counts it, with the module's own result. */
export interface StepResult {
  host: string;
  status: StepStatus;
  /** One line for a person: why it failed or could not be reached. */
  message: string;
  result: { stdout?: unknown } & Record<string, unknown>;
}

/** Runs calls as one login; `label` is the step's name, for the runner's own messages. */
export interface Runner {
  run(label: string, call: RemoteCall): Promise<StepResult[]>;
}

/** Gives the runner for a login; the master passes one in. */
export type Connect = (login: Login) => Runner;
