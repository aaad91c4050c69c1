import { VzError } from '../../base/errors.ts';
import type { OciHook, OciHooks } from '../oci/schema.ts';
import { ociState } from './oci-state.ts';
import type { ContainerState } from '../state/store.ts';

function envRecord(entries: string[] = []): Record<string, string> {
  return Object.fromEntries(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

async function runHook(kind: string, hook: OciHook, state: ContainerState): Promise<void> {
  const { execa } = await import('execa'); // loaded only when a hook exists: off the start-up path
  const result = await execa(hook.path, (hook.args ?? []).slice(1), {
    argv0: hook.args?.[0],
    env: envRecord(hook.env),
    extendEnv: false,
    input: JSON.stringify(ociState(state)),
    timeout: hook.timeout ? hook.timeout * 1000 : undefined,
    reject: false,
    all: true,
  });
  if (result.failed) {
    const detail = result.timedOut ? `timed out after ${hook.timeout} s` : (result.all?.trim().split('\n').pop() ?? `exit code ${result.exitCode}`);
    throw new VzError('system', `${kind} hook ${hook.path} failed: ${detail || `exit code ${result.exitCode}`}`);
  }
}

/** Hooks run in order with the container's state on stdin, as the runtime spec has it. */
export async function runHooks(kind: keyof OciHooks & string, hooks: OciHooks, state: ContainerState): Promise<void> {
  const list = (hooks[kind] ?? []) as OciHook[];
  for (const hook of list) await runHook(kind, hook, state);
}

/**
 * poststart and poststop failures cannot undo what happened: each is a warning, and the hooks after it still run
 * (the runtime spec: "the failure MUST be logged", and the lifecycle continues).
 */
export async function runHooksWarning(kind: 'poststart' | 'poststop', hooks: OciHooks, state: ContainerState): Promise<void> {
  for (const hook of (hooks[kind] ?? []) as OciHook[]) {
    try {
      await runHook(kind, hook, state);
    } catch (error) {
      process.stderr.write(`runch: warning: ${(error as Error).message}\n`);
    }
  }
}
