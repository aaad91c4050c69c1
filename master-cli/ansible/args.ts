import { yamlQuote } from '../../base/yaml-quote.ts';

// Re-exported: callers that quote module arguments find it beside safeModuleArgs.
export { yamlQuote };

/**
 * Module arguments as data. Why: ansible templates every module argument with Jinja on the controller, so a value
 * holding "{{ lookup('pipe', ...) }}" pasted into `-a` would run there. Every string (and every key that is not a
 * plain identifier) goes instead into an extra-vars file as a YAML `!unsafe` scalar, and `-a` only references it:
 * ansible then hands the value to the module verbatim, never templated, never re-typed ("[1]" stays a string).
 */
export interface SafeArgs {
  /** The `-a` value: JSON whose strings are only references like "{{ vz_arg_0 }}". */
  json: string;
  /** The extra-vars file (`-e @FILE`) holding the values, one `!unsafe` scalar each. */
  varsYaml: string;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function safeModuleArgs(args: Record<string, unknown>): SafeArgs {
  const vars: string[] = [];
  const ref = (value: string): string => {
    const name = `vz_arg_${vars.length}`;
    vars.push(`${name}: !unsafe ${yamlQuote(value)}`);
    return `{{ ${name} }}`;
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return ref(value);
    if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value as Record<string, unknown>)) out[PLAIN_KEY.test(key) ? key : ref(key)] = walk(inner);
      return out;
    }
    throw new TypeError(`module argument of type ${typeof value} cannot be passed to ansible`);
  };
  const json = JSON.stringify(walk(args));
  return { json, varsYaml: vars.length ? `${vars.join('\n')}\n` : '{}\n' };
}
