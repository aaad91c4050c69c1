import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { VzError } from './errors.ts';

/**
 * The CLI kernel of every vz binary (runch, vzmaster, the image tools): one verb is its flags, a usage text with an
 * example, and a run that returns the exit code. Why typed: `defineVerb` infers each flag's type from its options
 * (a string flag is `string | undefined`, one with a default is `string`, `multiple` is `string[]`), so a verb reads
 * `values.image` as what it is, never through a cast.
 */
export type Options = ParseArgsOptionsConfig;

/** What node's parseArgs gives for these options (strict, positionals allowed). */
export type Values<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>['values'];

/** `Extra` is what a binary hands every verb besides its flags (runch: its globals and state store). */
export interface Verb<O extends Options = Options, Extra = unknown> {
  name: string;
  summary: string;
  usage: string;
  options: O;
  // method syntax on purpose: a map of verbs with different options stays one type
  run(input: { values: Values<O>; positionals: string[] } & Extra): Promise<number>;
}

/** A verb whose values are typed from its own options (the `const` keeps each flag's literal type). */
export function defineVerb<const O extends Options, Extra = unknown>(verb: Verb<O, Extra>): Verb<O, Extra> {
  return verb;
}

/** vzmaster's and the image tools' verbs take nothing besides their flags. */
export type Command<O extends Options = Options> = Verb<O>;

/** Parse a verb's argv; an unknown flag or a missing value is one line with the verb's usage. */
export function parseVerb<O extends Options>(verb: { name: string; usage: string; options: O }, argv: string[]): { values: Values<O>; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options: verb.options, allowPositionals: true, strict: true }) as { values: Values<O>; positionals: string[] };
  } catch (error) {
    throw new VzError('usage', `${verb.name}: ${(error as Error).message.split('\n')[0]}; usage: ${verb.usage.split('\n')[0]}`);
  }
}

/** A whole-number flag, refused in one line when it is not one. */
export function intFlag(verb: { name: string }, flag: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const text = String(value);
  if (!/^\d+$/.test(text)) throw new VzError('usage', `${verb.name}: --${flag} "${text}" is not a whole number`);
  return Number(text);
}
