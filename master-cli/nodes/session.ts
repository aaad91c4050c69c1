import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Connect, Login } from '../../bootstrap/runner.ts';
import { runAdhoc } from '../ansible/run.ts';
import { renderSessionInventory } from './session-inventory.ts';

export interface SessionOptions {
  stateDir: string;
  ansibleConfig?: string;
  connectTimeout: number;
  taskTimeout: number;
}

/**
 * bootstrap's Runner through ansible: each login gets a one-host inventory (0600) in a directory that lives only as
 * long as the bootstrap (close() removes it), and each call is one ad-hoc run against it.
 */
export function ansibleSession(options: SessionOptions): { connect: Connect; close(): void } {
  const runsDir = join(options.stateDir, 'newnode');
  mkdirSync(runsDir, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(runsDir, 'run-'));
  const connect: Connect = (login: Login) => {
    const inventory = join(dir, `${login.user}.yml`);
    writeFileSync(inventory, renderSessionInventory(login), { mode: 0o600 });
    return {
      async run(_label, call) {
        const outcome = await runAdhoc(
          { inventory, stateDir: options.stateDir, ansibleConfig: options.ansibleConfig },
          // A first contact must not stop at ssh's "new host key" question (sshpass cannot answer it): accept a new
          // key as a first manual ssh would, and still refuse a changed one.
          { ...call, connectTimeout: options.connectTimeout, taskTimeout: options.taskTimeout, sshExtraArgs: '-o StrictHostKeyChecking=accept-new' },
        );
        return outcome.hosts;
      },
    };
  };
  return { connect, close: () => rmSync(dir, { recursive: true, force: true }) };
}
