import * as z from 'zod';
import { VzError } from './errors.ts';

/**
 * The restart-policy grammar, `no | on-failure[:N] | always | unless-stopped`, read in this one place: the host
 * table, `runch enable --restart`, `runch run --restart` and the deploy manifest all take the same words.
 */
export const RESTART_POLICIES = ['no', 'on-failure', 'always', 'unless-stopped'] as const;
export type RestartPolicyName = (typeof RESTART_POLICIES)[number];

/**
 * A policy as data (what contracts carry once the text is read): `max` (on-failure only) is how many restarts in a
 * row are allowed before it stays down.
 */
export const restartPolicyData = z
  .object({ policy: z.enum(RESTART_POLICIES), max: z.number().int().min(0).optional() })
  .strict()
  .refine((r) => r.max === undefined || r.policy === 'on-failure', 'restart: a maximum (":N") only goes with on-failure');
export type RestartPolicy = z.infer<typeof restartPolicyData>;

/** The valid forms, for every error that refuses one. */
export const RESTART_FORMS = 'no, on-failure[:N], always or unless-stopped';

const GRAMMAR = /^(no|on-failure|always|unless-stopped)(?::(\d+))?$/;

/** One line naming the value and the valid forms (`label` names where it was given); undefined for a policy. */
export function restartPolicyProblem(text: string, label = 'restart'): string | undefined {
  const match = GRAMMAR.exec(text);
  if (!match) return `${label} "${text}" is unknown: use ${RESTART_FORMS}`;
  if (match[2] !== undefined && match[1] !== 'on-failure') return `${label} "${text}": a maximum (":N") only goes with on-failure`;
  return undefined;
}

/** Parse a policy, or throw a usage error: one line, where it was given (`label`), the value and the valid forms. */
export function parseRestartPolicy(text: string, label = 'restart'): RestartPolicy {
  const problem = restartPolicyProblem(text, label);
  if (problem) throw new VzError('usage', problem);
  const [, policy, max] = GRAMMAR.exec(text)!;
  return max === undefined ? { policy: policy as RestartPolicyName } : { policy: policy as RestartPolicyName, max: Number(max) };
}

/** The canonical text of a policy (what parseRestartPolicy reads back). */
export function renderRestartPolicy(policy: RestartPolicy): string {
  return policy.max === undefined ? policy.policy : `${policy.policy}:${policy.max}`;
}

/** zod: a policy kept as its text (contracts and manifests carry the words); the caller's path names the field. */
export const restartPolicyText = z.string().superRefine((text, ctx) => {
  if (restartPolicyProblem(text)) ctx.addIssue({ code: 'custom', message: `must be ${RESTART_FORMS}, not "${text}"` });
});

/** zod: a policy read into its parts. */
export const restartPolicySchema = restartPolicyText.transform((text) => parseRestartPolicy(text));
