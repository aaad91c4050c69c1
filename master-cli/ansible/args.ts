import { yamlQuote } from '../../base/yaml-quote.ts';

// Re-exported: callers that quote module arguments find it beside safeModuleArgs.
export { yamlQuote };

/**
 * Module arguments as data. Why: ansible templates every module argument with Jinja on the controller, so a value
 * holding "{{ lookup('pipe', ...) }}" pasted into `-a` would run there. Every string (and every key that is not a
 * plain identifier) goes instead into an extra-vars file, as one element of a YAML list tagged `!unsafe`, and `-a`
 * only references it ("{{ vz_args[N] }}"): ansible then hands the value to the module verbatim, never templated.
 * Why a list and not one `!unsafe` scalar per value: ansible-core 2.19 resolves an `!unsafe` scalar's type again
 * as if it were unquoted, so `!unsafe "123"` became the number 123, `"yes"` true, `""` null, and `"*"` or `"="` an
 * error; elements inside an `!unsafe` list keep the type their quotes give them (strings), on 2.14 as on 2.19.
 */
export interface SafeArgs {
  /** The `-a` value: JSON whose strings are only references like "{{ vz_args[0] }}". */
  json: string;
  /** The extra-vars file (`-e @FILE`) holding the values: `vz_args: !unsafe [...]`. */
  varsYaml: string;
}

/**
 * A per-host value ansible fills in itself (`{{ inventory_hostname }}`): `text` is a constant prefix and `expression`
 * a constant Jinja expression, both written by vzmaster, never data; the one thing `-a` carries unreferenced.
 */
export class HostVar {
  readonly text: string;
  readonly expression: string;
  constructor(text: string, expression: string) {
    this.text = text;
    this.expression = expression;
  }
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function safeModuleArgs(args: Record<string, unknown>): SafeArgs {
  const values: string[] = [];
  const ref = (value: string): string => {
    values.push(yamlQuote(value));
    return `{{ vz_args[${values.length - 1}] }}`;
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return ref(value);
    if (value instanceof HostVar) return `${value.text.replace(/[{}%#]/g, '')}{{ ${value.expression} }}`;
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
  return { json, varsYaml: values.length ? `vz_args: !unsafe [${values.join(', ')}]\n` : '{}\n' };
}
