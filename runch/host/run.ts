import { ZodError } from 'zod';
import { VzError } from '../../base/errors.ts';
import { type ErrorAnswer, firstIssue, HOST_VERBS, type HostErrorCode, type HostSelf, type HostVerb, type LogCursor } from '../../base/host-contract.ts';
import { ensureHostConfig, readHostConfig, currentHostConfig } from './config.ts';
import { contextOf } from './context.ts';

/** One host verb: the request read by the contract's schema, the answer checked by it before it is printed. */
export async function runHostVerb(verb: HostVerb, request: unknown, self?: HostSelf): Promise<unknown> {
  const schema = HOST_VERBS[verb];
  const input = schema.request.parse(request);
  // apply and config write the host config; the others read it (defaults on a host that has none yet).
  const writes = verb === 'apply' || verb === 'config';
  const written = writes ? ensureHostConfig() : undefined;
  const ctx = contextOf(written?.config ?? currentHostConfig(readHostConfig()));
  let answer: unknown;
  if (verb === 'config') answer = { ok: true, changed: written!.changed, config: written!.config };
  else if (verb === 'apply') answer = await (await import('./apply.ts')).applyApp(ctx, input as never, self);
  else if (verb === 'status') answer = await (await import('./status.ts')).hostStatus(ctx, input as { app?: string; runch?: boolean });
  else if (verb === 'rebuild') answer = await (await import('./rebuild.ts')).rebuildFromDelta(ctx, input as never);
  else if (verb === 'top') answer = await (await import('./top.ts')).hostTop(ctx, input as { app?: string; sampleMs: number });
  else if (verb === 'logs') {
    const { app, lines, maxBytes, cursors } = input as { app: string; lines: number; maxBytes: number; cursors?: Record<string, LogCursor> };
    // A follower's cursors are keyed by inventory name: this host's is the one its own name picks.
    const cursor = self && cursors ? cursors[self.name] : undefined;
    answer = (await import('./logs.ts')).readLog(ctx.config.logDir, app, { lines, maxBytes }, cursor);
  } else answer = await (await import('./entry.ts')).editApp(ctx, verb, (input as { app: string }).app);
  return schema.answer.parse(answer);
}

/** Any failure as the contract's error answer: a stable code and one line, never a stack or English to parse. */
export function errorAnswer(error: unknown): ErrorAnswer {
  if (error instanceof ZodError) return { ok: false, error: { code: 'bad-request', message: `the request: ${firstIssue(error)}` } };
  const code: HostErrorCode = error instanceof VzError ? ((error as { hostCode?: HostErrorCode }).hostCode ?? error.code) : 'system';
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  return { ok: false, error: { code, message } };
}
