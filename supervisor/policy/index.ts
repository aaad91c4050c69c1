/** Restart policy: when to restart, after how long, and when a container is crash-looping. Pure functions. */
export { DEFAULT_POLICY, parsePolicy } from './config.ts';
export type { PolicyConfig } from './config.ts';
export { EMPTY_TALLY, backoffDelay, decide, failed, loopHold, startLimitDelay, wantsRestart } from './decide.ts';
export type { Decision, DecideInput, Exit, Tally } from './decide.ts';
