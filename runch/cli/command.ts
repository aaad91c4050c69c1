import { type Options, parseVerb as parseAny, type Verb } from '../../base/cli.ts';
import { VzError } from '../../base/errors.ts';
import type { StateStore } from '../state/store.ts';

export interface Globals {
  root: string;
  log?: string;
  logFormat: 'text' | 'json';
}

/** What runch hands every verb besides its flags: the global flags and the state store under --root. */
export interface RunchContext {
  globals: Globals;
  store: StateStore;
}

/** One runch verb: base/cli.ts's kernel, with runch's context. */
export type Command<O extends Options = Options> = Verb<O, RunchContext>;

/** A runch verb whose flags are typed from its own options (see base/cli.ts). */
export function defineCommand<const O extends Options>(command: Command<O>): Command<O> {
  return command;
}

export const parseVerb = parseAny;

/** Why: a verb that needs an id names it in the error, runc-style. */
export function requireId(command: { name: string; usage: string }, positionals: string[]): string {
  if (positionals.length < 1 || positionals[0] === '')
    throw new VzError('usage', `${command.name}: container id cannot be empty; usage: ${command.usage.split('\n')[0]}`);
  return positionals[0];
}
