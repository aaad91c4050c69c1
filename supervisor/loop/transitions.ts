import type { UnitState } from '../state/file.ts';

/**
 * The supervisor's unit as one explicit (state x event) -> action table, the way s6-supervise keeps its own. Pure
 * data: unit.ts only performs the actions. An action that ends in an outcome (launch, stop, decide) is the last of
 * its cell, and the unit feeds the outcome back at once as the next event, inside the same queued operation: so the
 * transient states (starting, stopping...) never see an outside event.
 */
export const STATES = [
  'stopped',
  'starting',
  'running',
  /** Stopping for good (entry off, supervisor shutdown). */
  'stopping',
  /** Stopping to start again (entry changed). */
  'restarting',
  /** Stopping to wait for the schedule (entry changed to, or within, cron). */
  'rescheduling',
  /** Stopping, then forgotten (entry removed from the table). */
  'removing',
  'backoff',
  'crash-loop',
  'scheduled',
  'exited',
  'invalid',
] as const;
export type State = (typeof STATES)[number];

export const EVENTS = [
  // The table (converge) and the supervisor:
  /** Entry new, changed or retried, action respawn or once: run it. */
  'start',
  /** Entry new, changed or retried (or booted), action cron. */
  'schedule',
  /** Entry set off. */
  'off',
  /** Entry gone from the table. */
  'remove',
  /** The supervisor stops (SIGTERM). */
  'shutdown',
  /** Boot: the container still runs from a previous supervisor. */
  'adopt',
  /** Boot: a backoff or crash-loop hold was under way. */
  'resume-backoff',
  'resume-hold',
  // Timers and the process:
  /** The backoff or crash-loop hold is over. */
  'timer',
  /** A cron tick. */
  'tick',
  /** The container's process died (not during a stop). */
  'exit',
  // Outcomes of the unit's own actions:
  'launched',
  /** Launch failed; another try may work (counts as a death that ran 0 ms). */
  'launch-failed',
  /** Launch failed, or the schedule cannot be read: nothing works until the table or the bundle changes. */
  'invalid',
  /** The stop procedure is done. */
  'stopped',
  // Outcomes of the restart decision (supervisor/policy, and `decisionEvent` below):
  'restart',
  'backoff',
  'hold',
  /** No restart: the policy leaves it down (restart=no, on-failure exited 0 or out of tries). */
  'give-up',
  /** No restart: stopped by a stop signal under unless-stopped. */
  'stay-down',
  /** No restart of a cron entry: wait for the next tick. */
  'idle',
  /** The entry is off or gone, or the supervisor stops: no decision at all. */
  'down',
] as const;
export type Event = (typeof EVENTS)[number];

export const ACTIONS = [
  /** runch create + start with the log as stdout and stderr -> launched | launch-failed | invalid. */
  'launch',
  /** The house's stop procedure: stop signal, timeout, SIGKILL, runch delete -> stopped. */
  'stop',
  /** After a death: runch delete of what is left. */
  'cleanup',
  /** The restart decision on the exit and the tally -> restart | backoff | hold | give-up | stay-down | idle | down. */
  'decide',
  /** Timer for the decided (or resumed) delay. */
  'arm',
  'disarm',
  /** The entry's cron schedule on / off. */
  'cron-on',
  'cron-off',
  /** One more restart in the tally (shown by runch status). */
  'count-restart',
  /** A cron run starts afresh: its deaths before do not count. */
  'reset-streak',
  /** The policy left it down: a new supervisor keeps it down. */
  'hold-down',
  /** Watch an adopted container from /proc. */
  'watch',
  /** A cron tick while the last run still goes: skipped, logged. */
  'warn-overlap',
  /** Drop the unit from the supervisor. */
  'forget',
] as const;
export type Action = (typeof ACTIONS)[number];

export interface Cell {
  state: State;
  actions: Action[];
}

type Row = Partial<Record<Event, Cell>>;
const cell = (state: State, ...actions: Action[]): Cell => ({ state, actions });

/** What an exit becomes in `running`, and a failed launch in `starting`: the decision's outcomes. */
const decided = {
  restart: cell('starting', 'count-restart', 'launch'),
  backoff: cell('backoff', 'arm'),
  hold: cell('crash-loop', 'arm'),
  'give-up': cell('exited', 'hold-down'),
  'stay-down': cell('stopped', 'hold-down'),
  idle: cell('scheduled', 'hold-down'),
  down: cell('stopped'),
} satisfies Row;

/** Waiting to restart: the armed timer starts it, unless the table changes first. */
const waiting = (from: 'backoff' | 'crash-loop'): Row => ({
  start: cell('starting', 'disarm', 'cron-off', 'launch'),
  // A backoff under way stands when the entry becomes cron: its timer still starts one run.
  schedule: cell(from, 'cron-on'),
  off: cell('stopped', 'disarm', 'cron-off'),
  remove: cell('stopped', 'disarm', 'cron-off', 'forget'),
  shutdown: cell('stopped', 'disarm', 'cron-off'),
  timer: cell('starting', 'count-restart', 'launch'),
  tick: cell('starting', 'disarm', 'reset-streak', 'launch'),
  invalid: cell('invalid', 'cron-off'),
});

/** Down and not waiting: only the table (or a cron tick) starts it. */
const resting = (from: 'scheduled' | 'exited' | 'invalid'): Row => ({
  start: cell('starting', 'disarm', 'cron-off', 'launch'),
  schedule: cell('scheduled', 'cron-on'),
  off: cell('stopped', 'disarm', 'cron-off'),
  remove: cell('stopped', 'disarm', 'cron-off', 'forget'),
  // Shutdown: a schedule ends (stopped); an exit the policy accepted or an invalid entry stays as it is.
  shutdown: cell(from === 'scheduled' ? 'stopped' : from, 'disarm', 'cron-off'),
  tick: cell('starting', 'disarm', 'reset-streak', 'launch'),
  ...(from === 'invalid' ? {} : { invalid: cell('invalid', 'cron-off') }),
});

/**
 * The table. A cell absent here means the event changes nothing in that state (a stale timer, a tick of a schedule
 * just turned off, an exit of a run already dealt with).
 */
export const TABLE: Record<State, Row> = {
  stopped: {
    start: cell('starting', 'disarm', 'cron-off', 'launch'),
    schedule: cell('scheduled', 'cron-on'),
    off: cell('stopped', 'disarm', 'cron-off'),
    remove: cell('stopped', 'disarm', 'cron-off', 'forget'),
    shutdown: cell('stopped', 'disarm', 'cron-off'),
    adopt: cell('running', 'watch'),
    'resume-backoff': cell('backoff', 'arm'),
    'resume-hold': cell('crash-loop', 'arm'),
    tick: cell('starting', 'disarm', 'reset-streak', 'launch'),
  },
  starting: {
    launched: cell('running'),
    'launch-failed': cell('starting', 'decide'),
    invalid: cell('invalid'),
    ...decided,
  },
  running: {
    start: cell('restarting', 'cron-off', 'stop'),
    schedule: cell('rescheduling', 'stop'),
    off: cell('stopping', 'disarm', 'cron-off', 'stop'),
    remove: cell('removing', 'disarm', 'cron-off', 'stop'),
    shutdown: cell('stopping', 'disarm', 'cron-off', 'stop'),
    tick: cell('running', 'warn-overlap'),
    exit: cell('running', 'cleanup', 'decide'),
    ...decided,
  },
  stopping: { stopped: cell('stopped') },
  restarting: { stopped: cell('starting', 'launch') },
  rescheduling: { stopped: cell('scheduled', 'cron-on') },
  removing: { stopped: cell('stopped', 'forget') },
  backoff: waiting('backoff'),
  'crash-loop': waiting('crash-loop'),
  scheduled: resting('scheduled'),
  exited: resting('exited'),
  invalid: resting('invalid'),
};

/** The transition: the next state and the actions to perform, in order; undefined when the event changes nothing. */
export function next(state: State, event: Event): Cell | undefined {
  return TABLE[state][event];
}

/** Transient states: a process is ours (running, or on its way in or out). */
export const HAS_PROCESS: ReadonlySet<State> = new Set(['starting', 'running', 'stopping', 'restarting', 'rescheduling', 'removing']);

/** What `runch status` and the state file show: the stopping variants are all `stopping`. */
export function visible(state: State): UnitState {
  return state === 'restarting' || state === 'rescheduling' || state === 'removing' ? 'stopping' : state;
}

/**
 * The decision's outcome as an event (pure): `wantedDown` when the entry is off or gone or the supervisor stops;
 * `cron` for a cron entry, which waits for its next tick rather than staying down.
 */
export function decisionEvent(
  decision: { restart: true; state: 'backoff' | 'crash-loop'; delayMs: number } | { restart: false; state: 'exited' | 'stopped' },
  context: { wantedDown: boolean; cron: boolean },
): Event {
  if (context.wantedDown) return 'down';
  if (!decision.restart) return context.cron ? 'idle' : decision.state === 'stopped' ? 'stay-down' : 'give-up';
  if (decision.delayMs === 0) return 'restart';
  return decision.state === 'crash-loop' ? 'hold' : 'backoff';
}

/** The table as markdown, one row per (state, event) cell that does something (docs/supervisor.md carries it). */
export function renderMarkdown(): string {
  const lines = ['| state | event | next state | actions |', '|---|---|---|---|'];
  for (const state of STATES)
    for (const event of EVENTS) {
      const found = TABLE[state][event];
      if (found) lines.push(`| ${state} | ${event} | ${found.state} | ${found.actions.join(', ') || '-'} |`);
    }
  return `${lines.join('\n')}\n`;
}
