import { parseArgs, type ParseArgsConfig } from 'node:util';
import { VzError } from '../../base/errors.ts';
import { StateStore } from '../state/store.ts';

export interface Globals {
  root: string;
  log?: string;
  logFormat: 'text' | 'json';
}

/** One verb: its flags, a usage text with an example, and a run that returns the exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(input: { values: Record<string, unknown>; positionals: string[]; globals: Globals; store: StateStore }): Promise<number>;
}

export function parseVerb(command: Command, argv: string[]) {
  try {
    return parseArgs({ args: argv, options: command.options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new VzError('usage', `${command.name}: ${(error as Error).message.split('\n')[0]}; usage: ${command.usage.split('\n')[0]}`);
  }
}

/** Why: a verb that needs an id names it in the error, runc-style. */
export function requireId(command: Command, positionals: string[]): string {
  if (positionals.length < 1 || positionals[0] === '')
    throw new VzError('usage', `${command.name}: container id cannot be empty; usage: ${command.usage.split('\n')[0]}`);
  return positionals[0];
}
