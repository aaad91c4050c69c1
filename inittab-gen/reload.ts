import { accessSync, constants, existsSync } from 'node:fs';
import { execa } from 'execa';
import { VzError } from '../base/errors.ts';
import { type InitSystem, telinitPath } from './detect.ts';

/** Checked before anything is written, so a host that cannot reload keeps its previous configuration. */
export function checkReloadable(init: InitSystem, telinit?: string): void {
  if (init.kind !== 'sysvinit') return;
  const path = telinitPath(init, telinit);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new VzError(
      'not-found',
      `sysvinit's telinit is missing at ${path}, so init could not be told to re-read its entries: install sysvinit's telinit there or name it with --telinit; nothing was changed`,
    );
  }
}

/** Make init re-read its configuration: telinit q (sysvinit), HUP (busybox), daemon-reload (systemd). */
export async function reloadInit(init: InitSystem, telinit?: string): Promise<void> {
  try {
    if (init.kind === 'sysvinit') await execa(telinitPath(init, telinit), ['q'], { timeout: 10_000, stdin: 'ignore' });
    else if (init.kind === 'busybox') process.kill(1, 'SIGHUP');
    else if (init.kind === 'systemd') await execa('systemctl', ['daemon-reload'], { timeout: 60_000, stdin: 'ignore' });
    // OpenRC reads a service file when the service starts: nothing to reload.
  } catch (error) {
    throw new VzError('system', `reloading ${init.kind} failed: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
}

/** systemd and OpenRC start and stop services on request; sysvinit and busybox act on the reload alone. */
export async function startService(init: InitSystem, id: string): Promise<void> {
  if (init.kind === 'systemd') {
    // A unit that used up on-failure:N is "failed" and refuses a start until its count is reset.
    await execa('systemctl', ['reset-failed', `vz-${id}.service`], { timeout: 60_000, stdin: 'ignore', reject: false });
    // A scheduled entry: its timer is what is enabled and started; the timer starts the service.
    const unit = existsSync(`/etc/systemd/system/vz-${id}.timer`) ? `vz-${id}.timer` : `vz-${id}.service`;
    await execa('systemctl', ['enable', '--now', unit], { timeout: 60_000, stdin: 'ignore' });
  }
  // A schedule has no service: the host's crond starts its launcher (openrc/crontab.ts).
  else if (init.kind === 'openrc' && existsSync(`/etc/init.d/vz-${id}`)) {
    await execa('rc-update', ['add', `vz-${id}`, 'default'], { timeout: 60_000, stdin: 'ignore' });
    await execa('rc-service', [`vz-${id}`, 'start'], { timeout: 60_000, stdin: 'ignore' });
  }
}

export async function stopService(init: InitSystem, id: string): Promise<void> {
  if (init.kind === 'systemd') await execa('systemctl', ['disable', '--now', `vz-${id}.timer`, `vz-${id}.service`], { timeout: 60_000, stdin: 'ignore', reject: false });
  else if (init.kind === 'openrc') {
    await execa('rc-service', [`vz-${id}`, 'stop'], { timeout: 60_000, stdin: 'ignore', reject: false });
    await execa('rc-update', ['del', `vz-${id}`, 'default'], { timeout: 60_000, stdin: 'ignore', reject: false });
  }
}
