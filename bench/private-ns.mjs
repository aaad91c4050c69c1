// Every bench mounts (runch, lab hosts, images): it re-runs itself once inside a private mount namespace, so
// nothing it mounts can reach the machine.
import { spawnSync } from 'node:child_process';

export function enterPrivateMountNamespace() {
  if (process.env.VZ_BENCH_NS) return;
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, VZ_BENCH_NS: '1' },
  });
  process.exit(r.status ?? 1);
}
