// issue 10: the supervisor's unit is one explicit (state x event) -> action table (supervisor/loop/transitions.ts),
// tested here with plain data, every cell; unit.ts only performs the actions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { type Event, type State, ACTIONS, EVENTS, HAS_PROCESS, STATES, TABLE, decisionEvent, next, renderMarkdown, visible } from '../../supervisor/loop/transitions.ts';
import { UNIT_STATES } from '../../supervisor/state/file.ts';

/** The whole table, written out: "next-state action action...". A cell not listed changes nothing. */
const EXPECTED: Record<State, Partial<Record<Event, string>>> = {
  stopped: {
    start: 'starting disarm cron-off launch',
    schedule: 'scheduled cron-on',
    off: 'stopped disarm cron-off',
    remove: 'stopped disarm cron-off forget',
    shutdown: 'stopped disarm cron-off',
    adopt: 'running watch',
    'resume-backoff': 'backoff arm',
    'resume-hold': 'crash-loop arm',
    tick: 'starting disarm reset-streak launch',
  },
  starting: {
    launched: 'running',
    'launch-failed': 'starting decide',
    invalid: 'invalid',
    restart: 'starting count-restart launch',
    backoff: 'backoff arm',
    hold: 'crash-loop arm',
    'give-up': 'exited hold-down',
    'stay-down': 'stopped hold-down',
    idle: 'scheduled hold-down',
    down: 'stopped',
  },
  running: {
    start: 'restarting cron-off stop',
    schedule: 'rescheduling stop',
    off: 'stopping disarm cron-off stop',
    remove: 'removing disarm cron-off stop',
    shutdown: 'stopping disarm cron-off stop',
    tick: 'running warn-overlap',
    exit: 'running cleanup decide',
    restart: 'starting count-restart launch',
    backoff: 'backoff arm',
    hold: 'crash-loop arm',
    'give-up': 'exited hold-down',
    'stay-down': 'stopped hold-down',
    idle: 'scheduled hold-down',
    down: 'stopped',
  },
  stopping: { stopped: 'stopped' },
  restarting: { stopped: 'starting launch' },
  rescheduling: { stopped: 'scheduled cron-on' },
  removing: { stopped: 'stopped forget' },
  backoff: {
    start: 'starting disarm cron-off launch',
    schedule: 'backoff cron-on',
    off: 'stopped disarm cron-off',
    remove: 'stopped disarm cron-off forget',
    shutdown: 'stopped disarm cron-off',
    timer: 'starting count-restart launch',
    tick: 'starting disarm reset-streak launch',
    invalid: 'invalid cron-off',
  },
  'crash-loop': {
    start: 'starting disarm cron-off launch',
    schedule: 'crash-loop cron-on',
    off: 'stopped disarm cron-off',
    remove: 'stopped disarm cron-off forget',
    shutdown: 'stopped disarm cron-off',
    timer: 'starting count-restart launch',
    tick: 'starting disarm reset-streak launch',
    invalid: 'invalid cron-off',
  },
  scheduled: {
    start: 'starting disarm cron-off launch',
    schedule: 'scheduled cron-on',
    off: 'stopped disarm cron-off',
    remove: 'stopped disarm cron-off forget',
    shutdown: 'stopped disarm cron-off',
    tick: 'starting disarm reset-streak launch',
    invalid: 'invalid cron-off',
  },
  exited: {
    start: 'starting disarm cron-off launch',
    schedule: 'scheduled cron-on',
    off: 'stopped disarm cron-off',
    remove: 'stopped disarm cron-off forget',
    shutdown: 'exited disarm cron-off',
    tick: 'starting disarm reset-streak launch',
    invalid: 'invalid cron-off',
  },
  invalid: {
    start: 'starting disarm cron-off launch',
    schedule: 'scheduled cron-on',
    off: 'stopped disarm cron-off',
    remove: 'stopped disarm cron-off forget',
    shutdown: 'invalid disarm cron-off',
    tick: 'starting disarm reset-streak launch',
  },
};

t.test('every (state, event) cell: the next state and the actions, in order', async (t) => {
  let cells = 0;
  for (const state of STATES)
    for (const event of EVENTS) {
      const found = next(state, event);
      const text = found && [found.state, ...found.actions].join(' ');
      t.equal(text, EXPECTED[state][event], `${state} x ${event}`);
      cells++;
    }
  t.equal(cells, STATES.length * EVENTS.length);
  t.same(Object.keys(TABLE).sort(), [...STATES].sort(), 'a row per state, nothing else');
});

/** Actions whose outcome is the next event; each is last in its cell (the unit feeds its outcome back at once). */
const OUTCOMES = { launch: ['launched', 'launch-failed', 'invalid'], stop: ['stopped'], decide: ['restart', 'backoff', 'hold', 'give-up', 'stay-down', 'idle', 'down'] } as const;

t.test('an outcome action ends its cell, and every outcome has a cell in the state it leaves the unit in', async (t) => {
  for (const state of STATES)
    for (const event of EVENTS) {
      const found = next(state, event);
      if (!found) continue;
      t.ok(found.actions.every((a) => ACTIONS.includes(a)));
      const producing = found.actions.filter((a) => a in OUTCOMES);
      t.ok(producing.length <= 1 && (producing.length === 0 || found.actions.at(-1) === producing[0]), `${state} x ${event}: at most one outcome action, last`);
      for (const action of producing)
        for (const outcome of OUTCOMES[action as keyof typeof OUTCOMES]) t.ok(next(found.state, outcome), `${state} x ${event} -> ${found.state}: ${action} may end in ${outcome}, which has a cell`);
    }
});

t.test('transient states see only their own outcomes (no outside event is ever fed to them)', async (t) => {
  const outside: Event[] = ['start', 'schedule', 'off', 'remove', 'shutdown', 'adopt', 'resume-backoff', 'resume-hold', 'timer', 'tick', 'exit'];
  for (const state of ['starting', 'stopping', 'restarting', 'rescheduling', 'removing'] as const)
    for (const event of outside) t.notOk(next(state, event), `${state} x ${event}: none`);
});

t.test('visible states are the state file\'s; the stopping variants show as stopping', async (t) => {
  for (const state of STATES) t.ok((UNIT_STATES as readonly string[]).includes(visible(state)), state);
  t.same(['restarting', 'rescheduling', 'removing', 'stopping'].map((s) => visible(s as State)), ['stopping', 'stopping', 'stopping', 'stopping']);
  t.same([...HAS_PROCESS].sort(), ['removing', 'rescheduling', 'restarting', 'running', 'starting', 'stopping']);
});

t.test('the decision as an event', async (t) => {
  const later = { restart: true as const, state: 'backoff' as const, delayMs: 250 };
  t.equal(decisionEvent({ ...later, delayMs: 0 }, { wantedDown: false, cron: false }), 'restart');
  t.equal(decisionEvent(later, { wantedDown: false, cron: false }), 'backoff');
  t.equal(decisionEvent({ ...later, state: 'crash-loop', delayMs: 60_000 }, { wantedDown: false, cron: false }), 'hold');
  t.equal(decisionEvent({ restart: false, state: 'exited' }, { wantedDown: false, cron: false }), 'give-up');
  t.equal(decisionEvent({ restart: false, state: 'stopped' }, { wantedDown: false, cron: false }), 'stay-down');
  t.equal(decisionEvent({ restart: false, state: 'exited' }, { wantedDown: false, cron: true }), 'idle');
  t.equal(decisionEvent(later, { wantedDown: true, cron: false }), 'down', 'an entry set off is never restarted');
});

/** Replay events through the table alone, as the unit does (outcomes given in order). */
function replay(start: State, events: Event[]): State {
  return events.reduce((state, event) => {
    const found = next(state, event);
    return found ? found.state : state;
  }, start);
}

t.test('lives of a unit, through the table alone', async (t) => {
  t.equal(replay('stopped', ['start', 'launched', 'exit', 'restart', 'launched']), 'running', 'crash, restart at once');
  t.equal(replay('stopped', ['start', 'launched', 'exit', 'backoff', 'timer', 'launched']), 'running', 'crash, backoff, restart');
  t.equal(replay('stopped', ['start', 'launched', 'exit', 'hold', 'off']), 'stopped', 'set off during a crash-loop hold');
  t.equal(replay('stopped', ['start', 'launched', 'start', 'stopped', 'launched']), 'running', 'entry changed: stop, start again');
  t.equal(replay('stopped', ['start', 'launch-failed', 'backoff', 'timer', 'invalid']), 'invalid', 'a bundle gone for good');
  t.equal(replay('stopped', ['schedule', 'tick', 'launched', 'tick', 'exit', 'idle']), 'scheduled', 'cron: overlap skipped, back to scheduled');
  t.equal(replay('stopped', ['adopt', 'shutdown', 'stopped']), 'stopped', 'adopted, then the supervisor stops');
  t.equal(replay('backoff', ['timer', 'launched', 'exit', 'give-up', 'timer']), 'exited', 'a stale timer changes nothing');
});

t.test('docs/supervisor.md carries the table as it is', async (t) => {
  const doc = readFileSync(join(import.meta.dirname, '../../docs/supervisor.md'), 'utf8');
  t.ok(doc.includes(renderMarkdown()), 'regenerate it with: node -e "import(\'./supervisor/loop/transitions.ts\').then((m) => process.stdout.write(m.renderMarkdown()))"');
});
