import { parseArgs, type ParseArgsConfig } from 'node:util';
import { VzError } from './errors.ts';

/** One vzmaster verb: its flags, a usage text with an example, and a run that returns the exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(input: { values: Record<string, unknown>; positionals: string[] }): Promise<number>;
}

export function parseVerb(command: Command, argv: string[]) {
  try {
    return parseArgs({ args: argv, options: command.options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new VzError('usage', `${command.name}: ${(error as Error).message.split('\n')[0]}; usage: ${command.usage.split('\n')[0]}`);
  }
}

/** A whole-number flag, refused in one line when it is not one. */
export function intFlag(command: Command, flag: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const text = String(value);
  if (!/^\d+$/.test(text)) throw new VzError('usage', `${command.name}: --${flag} "${text}" is not a whole number`);
  return Number(text);
}
