import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { VzError } from '../base/errors.ts';
import type { Dialect } from './plan.ts';

/** What runs as PID 1 here, and how vz writes into it. */
export interface InitSystem {
  kind: 'sysvinit' | 'busybox' | 'systemd' | 'openrc';
  dialect: Dialect;
  /** The PID 1 binary (sysvinit: its telinit is looked for beside it). */
  binary?: string;
  version?: string;
}

export const SUPPORTED =
  'sysvinit (respawn entries: /etc/inittab.d/*.tab from 2.97, else a block in /etc/inittab; telinit q), busybox init (a block in /etc/inittab; HUP), ' +
  'systemd (a unit per entry; systemctl) and OpenRC (a supervise-daemon service per entry; rc-service)';

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** OpenRC writes its runlevel there once it has booted one: it then manages services whatever PID 1 is. */
function openrcBooted(): boolean {
  return existsSync('/run/openrc/softlevel') && existsSync('/sbin/openrc-run');
}

/** sysvinit from 2.97 reads /etc/inittab.d; its binary names both the version and that directory. */
export function sysvinitFacts(binary: string): { version?: string; readsDir: boolean } {
  const bytes = readFileSync(binary).toString('latin1');
  return { version: /INIT_VERSION=sysvinit-([0-9.]+)/.exec(bytes)?.[1], readsDir: bytes.includes('/etc/inittab.d') };
}

/** Look at PID 1 itself (/proc/1/exe), not at what packages are installed: only the running init matters. */
export function detectInit(forced?: string): InitSystem {
  const exe = readLink('/proc/1/exe')?.replace(/ \(deleted\)$/, '');
  if (forced === 'systemd' || (!forced && exe && basename(exe) === 'systemd')) return { kind: 'systemd', dialect: 'systemd', binary: exe };
  // OpenRC booted by busybox or sysvinit (Alpine's way): its supervise-daemon keeps vz's services, as on openrc-init.
  if (!forced && openrcBooted()) return { kind: 'openrc', dialect: 'openrc', binary: exe };
  if (forced === 'busybox' || (!forced && exe && basename(exe) === 'busybox')) return { kind: 'busybox', dialect: 'busybox', binary: exe };
  if (forced === 'openrc' || (!forced && exe && basename(exe) === 'openrc-init')) return { kind: 'openrc', dialect: 'openrc', binary: exe };
  const isSysv = (path: string | undefined) => path !== undefined && existsSync(path) && sysvinitFacts(path).version !== undefined;
  if (forced === 'sysvinit-block') {
    // A block in /etc/inittab even where inittab.d is read (every sysvinit reads /etc/inittab).
    const binary = exe && isSysv(exe) ? exe : '/sbin/init';
    return { kind: 'sysvinit', dialect: 'sysvinit-block', binary, version: existsSync(binary) ? sysvinitFacts(binary).version : undefined };
  }
  if (forced === 'sysvinit' || (!forced && isSysv(exe))) {
    const binary = exe && isSysv(exe) ? exe : '/sbin/init';
    const facts = existsSync(binary) ? sysvinitFacts(binary) : { readsDir: false, version: undefined };
    return { kind: 'sysvinit', dialect: facts.readsDir ? 'sysvinit-dir' : 'sysvinit-block', binary, version: facts.version };
  }
  if (forced) throw new VzError('usage', `--init "${forced}" is unknown: use sysvinit, sysvinit-block, busybox, systemd or openrc`);
  throw new VzError('system', `PID 1 (${exe ?? 'unreadable /proc/1/exe'}) is no init vz knows; supported: ${SUPPORTED}. Force one with --init`);
}

/** sysvinit's telinit belongs beside its init (the machine's /sbin/telinit may be systemd's, which fails). */
export function telinitPath(init: InitSystem, override?: string): string {
  return override ?? join(dirname(init.binary ?? '/sbin/init'), 'telinit');
}
