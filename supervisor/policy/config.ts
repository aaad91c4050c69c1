/**
 * Restart timing. Defaults chosen for a 1-vCPU, 512 MB host (reasons and the comparison with Docker, pm2, Kubernetes
 * and sysvinit in docs/supervisor.md):
 *  - the first crash after a stable run restarts at once (0 ms): a one-off crash costs the least downtime;
 *  - then 250 ms doubling, capped at 16 s, +-20 % jitter so containers that die together do not restart together;
 *  - 10 s of uptime counts as stable and forgets the past;
 *  - 8 quick deaths within 2 min is a crash loop: the entry shows `crash-loop` with the next try's time and is tried
 *    once after 1 min, then 2, 4, 5, 5... min (one start every 5 min: the CPU of a broken app stays near nothing).
 */
export interface PolicyConfig {
  firstDelayMs: number;
  baseMs: number;
  factor: number;
  capMs: number;
  /** Fraction: the delay is multiplied by a random factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
  stableMs: number;
  loopDeaths: number;
  loopWindowMs: number;
  loopHoldMs: number;
  loopHoldMaxMs: number;
  /**
   * At most this many starts within startWindowMs (0: no limit). Init mode sets it below sysvinit's "respawning too
   * fast" (10 spawns in 120 s disable an entry); the supervisor, which nobody rate-limits, leaves it off.
   */
  startLimit: number;
  startWindowMs: number;
}

export const DEFAULT_POLICY: PolicyConfig = {
  firstDelayMs: 0,
  baseMs: 250,
  factor: 2,
  capMs: 16_000,
  jitter: 0.2,
  stableMs: 10_000,
  loopDeaths: 8,
  loopWindowMs: 120_000,
  loopHoldMs: 60_000,
  loopHoldMaxMs: 300_000,
  startLimit: 0,
  startWindowMs: 120_000,
};

/** Overrides such as "baseMs=10,capMs=100" (flags and env of `runch supervise`, and the tests). */
export function parsePolicy(text: string | undefined, base: PolicyConfig = DEFAULT_POLICY): PolicyConfig {
  const config = { ...base };
  if (!text) return config;
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [key, value] = part.split('=');
    if (!(key in config)) throw new Error(`policy: unknown key "${key}": use ${Object.keys(config).join(', ')}`);
    const number = Number(value);
    if (value === undefined || value === '' || !Number.isFinite(number) || number < 0)
      throw new Error(`policy: "${part}" needs a non-negative number (e.g. ${key}=${config[key as keyof PolicyConfig]})`);
    config[key as keyof PolicyConfig] = number;
  }
  return config;
}
