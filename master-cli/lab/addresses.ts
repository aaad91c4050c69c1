import { openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { isAlive, processStartTime } from '../../base/proc.ts';
import { VzError } from '../../base/errors.ts';
import { readLabState } from './state.ts';
import { labPaths } from './paths.ts';

/**
 * Ports tried per address, in order: 22 unless something (e.g. a 0.0.0.0:22 sshd) holds it. VZ_LAB_PORTS
 * (comma-separated) replaces the list, so tests can exercise the fallback without touching port 22.
 */
export function labPorts(env: NodeJS.ProcessEnv = process.env): number[] {
  const custom = (env.VZ_LAB_PORTS ?? '').split(',').map((p) => Number(p.trim())).filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
  return custom.length ? custom : [22, 2222, 22022];
}
const CLAIMS = '/run/lock';

function claimPath(address: string): string {
  return `${CLAIMS}/vz-lab-${address}.claim`;
}

/** Can a listener bind address:port right now? (A wildcard listener on the port makes this fail, as for sshd.) */
export function portFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Does an SSH server answer on address:port (its banner), within timeoutMs? */
export function sshAnswers(address: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (data) => done(data.toString('latin1').startsWith('SSH-')));
    socket.connect({ host: address, port });
  });
}

/**
 * Claim a loopback address for one lab, machine-wide: an O_EXCL file in /run/lock. Why: two labs (two test files
 * running at once) must never pick the same 127.0.1.N between probing and sshd's bind. A claim is stale when the
 * process that wrote it is gone and its lab no longer lists the address.
 */
export function claimAddress(address: string, labDir: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(claimPath(address), 'wx', 0o644);
      writeSync(fd, JSON.stringify({ labDir, pid: process.pid, startTime: processStartTime(process.pid) }));
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!claimIsStale(address)) return false;
      rmSync(claimPath(address), { force: true });
    }
  }
  return false;
}

function claimIsStale(address: string): boolean {
  let claim: { labDir?: string; pid?: number; startTime?: number };
  try {
    claim = JSON.parse(readFileSync(claimPath(address), 'utf8'));
  } catch {
    return false; // being written right now, or unreadable: leave it alone
  }
  if (claim.pid && claim.startTime !== undefined && isAlive(claim.pid, claim.startTime)) return false;
  try {
    const state = claim.labDir ? readLabState(labPaths(claim.labDir).state) : undefined;
    return !state?.hosts.some((h) => h.address === address);
  } catch {
    return false;
  }
}

export function releaseAddress(address: string, labDir: string): void {
  try {
    const claim = JSON.parse(readFileSync(claimPath(address), 'utf8')) as { labDir?: string };
    if (claim.labDir === labDir) rmSync(claimPath(address), { force: true });
  } catch {
    // no claim: nothing to release
  }
}

/** Pick `count` free loopback addresses 127.0.1.N (N from 1), each with the first free port of labPorts(). */
export async function pickAddresses(count: number, labDir: string): Promise<{ address: string; port: number }[]> {
  const picked: { address: string; port: number }[] = [];
  for (let n = 1; n <= 254 && picked.length < count; n++) {
    const address = `127.0.1.${n}`;
    if (!claimAddress(address, labDir)) continue;
    let port: number | undefined;
    for (const candidate of labPorts()) if (await portFree(address, candidate)) { port = candidate; break; }
    if (port === undefined) {
      releaseAddress(address, labDir);
      continue;
    }
    picked.push({ address, port });
  }
  if (picked.length < count) {
    for (const p of picked) releaseAddress(p.address, labDir);
    throw new VzError('system', `only ${picked.length} of ${count} loopback addresses 127.0.1.N are free: bring another lab down first`);
  }
  return picked;
}
