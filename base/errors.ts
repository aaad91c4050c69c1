/** Why: one error class with a stable code, so every CLI prints one actionable line and exits the same way. */
export type ErrorCode =
  | 'usage'
  | 'invalid-id'
  | 'invalid-config'
  | 'not-found'
  | 'exists'
  | 'bad-state'
  | 'locked'
  | 'system';

export class VzError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'VzError';
  }
}

/** Why: context is prepended in lower case, runc-style ("create foo: ..."), keeping the original as cause. */
export function withContext(context: string, error: unknown): VzError {
  if (error instanceof VzError) return new VzError(error.code, `${context}: ${error.message}`, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new VzError('system', `${context}: ${message}`, { cause: error });
}
