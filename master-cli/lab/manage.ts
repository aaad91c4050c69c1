import { existsSync, readlinkSync } from 'node:fs';
import { listPids, readStat } from '../../base/proc.ts';
import { VzError } from '../../base/errors.ts';
import { portFree, sshAnswers } from './addresses.ts';
import { removeEmptyDir, tearDown } from './down.ts';
import { hostAlive, killHost, launchHost } from './launch.ts';
import { withLabLock } from './lock.ts';
import { checkLabDir, labPaths, type LabPaths } from './paths.ts';
import { readLabState, writeLabState, type LabHost, type LabState } from './state.ts';

function loadLab(dir: string): { paths: LabPaths; state: LabState } {
  const paths = labPaths(checkLabDir(dir));
  const state = readLabState(paths.state);
  if (!state) throw new VzError('not-found', `no lab in ${dir}: run "vzmaster lab up --dir ${dir}" first`);
  return { paths, state };
}

/** `lab down`: everything the lab started ends, everything it wrote goes. A dir with no lab is fine (idempotent). */
export async function labDown(dir: string): Promise<{ hosts: number }> {
  const paths = labPaths(checkLabDir(dir));
  if (!existsSync(paths.state)) return { hosts: 0 };
  let state: LabState | undefined;
  await withLabLock(paths.lock, async () => {
    state = readLabState(paths.state);
    await tearDown(paths, state, { keepDir: true });
  });
  if (state?.createdDir) removeEmptyDir(paths.dir);
  return { hosts: state?.hosts.length ?? 0 };
}

export interface HostStatus {
  host: LabHost;
  /** up: init alive and sshd answers; frozen: stopped by freeze-host; starting: init alive, sshd not (yet); down: no init. */
  state: 'up' | 'frozen' | 'starting' | 'down';
}

/** `lab status`: recomputed from the live system (pid + start time, and an SSH banner), never from the file alone. */
export async function labStatus(dir: string): Promise<HostStatus[]> {
  const { state } = loadLab(dir);
  return Promise.all(
    state.hosts.map(async (host): Promise<HostStatus> => {
      if (!hostAlive(host)) return { host, state: 'down' };
      if (readStat(host.initPid!)?.state === 'T') return { host, state: 'frozen' };
      return { host, state: (await sshAnswers(host.address, host.port, 1000)) ? 'up' : 'starting' };
    }),
  );
}

function findHost(state: LabState, name: string): number {
  const index = state.hosts.findIndex((h) => h.name === name);
  if (index < 0) throw new VzError('not-found', `no host named ${JSON.stringify(name)} in this lab: hosts are ${state.hosts.map((h) => h.name).join(', ')}`);
  return index;
}

/** `lab stop-host`: the VPS vanishes (its init and every process in it are killed); its disk stays. */
export async function stopHost(dir: string, name: string): Promise<LabHost> {
  const { paths } = loadLab(dir);
  return withLabLock(paths.lock, async () => {
    const state = loadLab(dir).state;
    const index = findHost(state, name);
    await killHost(state.hosts[index]);
    const { pid: _p, startTime: _s, initPid: _i, initStartTime: _t, ...rest } = state.hosts[index];
    state.hosts[index] = rest;
    writeLabState(paths.state, state);
    return rest;
  });
}

/** `lab start-host`: the VPS comes back with the same address, files and init; a fresh /run. */
export async function startHost(dir: string, name: string): Promise<LabHost> {
  const { paths } = loadLab(dir);
  return withLabLock(paths.lock, async () => {
    const state = loadLab(dir).state;
    const index = findHost(state, name);
    const host = state.hosts[index];
    if (hostAlive(host)) throw new VzError('bad-state', `host ${name} is already up`);
    if (!(await portFree(host.address, host.port)) || (await sshAnswers(host.address, host.port, 300)))
      throw new VzError('bad-state', `${host.address}:${host.port} is taken by something else: cannot start ${name}`);
    state.hosts[index] = await launchHost(paths, host);
    writeLabState(paths.state, state);
    return state.hosts[index];
  });
}

/**
 * `lab freeze-host` / `thaw-host`: SIGSTOP (SIGCONT) every process of the host's pid namespace. Why: a VPS that
 * hangs (accepts TCP, never answers) is the case ssh keepalives and timeouts exist for; stop-host only covers a
 * VPS that is gone (connection refused).
 */
export async function freezeHost(dir: string, name: string, freeze: boolean): Promise<LabHost> {
  const { paths } = loadLab(dir);
  return withLabLock(paths.lock, async () => {
    const state = loadLab(dir).state;
    const host = state.hosts[findHost(state, name)];
    if (!hostAlive(host)) throw new VzError('bad-state', `host ${name} is down: ${freeze ? 'nothing to freeze' : 'start it with "vzmaster lab start-host"'}`);
    const ns = readlinkSync(`/proc/${host.initPid}/ns/pid`);
    for (const pid of listPids()) {
      try {
        if (readlinkSync(`/proc/${pid}/ns/pid`) === ns) process.kill(pid, freeze ? 'SIGSTOP' : 'SIGCONT');
      } catch {
        // gone meanwhile
      }
    }
    return host;
  });
}
