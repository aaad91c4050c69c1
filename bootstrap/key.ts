import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { VzError } from '../base/errors.ts';

/**
 * The key vzmaster logs in with from now on. Why this order: an explicit --key; else the key the inventory already
 * gives every host (one key for the whole fleet, as the lab has); else vzmaster's own, made once in its state dir.
 */
export async function masterKey(options: { keyFile?: string; inventoryKey?: string; stateDir: string }): Promise<{ keyFile: string; publicKey: string }> {
  let keyFile = options.keyFile ?? options.inventoryKey;
  if (keyFile === undefined) {
    keyFile = join(options.stateDir, 'ssh', 'id_ed25519');
    if (!existsSync(keyFile)) {
      mkdirSync(join(options.stateDir, 'ssh'), { recursive: true, mode: 0o700 });
      await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'vzmaster', '-f', keyFile], { stdin: 'ignore' });
    }
  }
  keyFile = resolve(keyFile);
  if (!existsSync(keyFile)) throw new VzError('not-found', `key ${keyFile} does not exist: pass --key with a private key file`);
  // The public half from the private key itself: a stale or missing .pub file cannot send the wrong key.
  const derived = await execa('ssh-keygen', ['-y', '-f', keyFile], { stdin: 'ignore', reject: false });
  if (derived.exitCode !== 0) throw new VzError('invalid-config', `key ${keyFile} cannot be read by ssh-keygen (a passphrase, or not a private key): pass --key with an unencrypted private key`);
  const [type, blob] = String(derived.stdout).trim().split(/\s+/);
  return { keyFile, publicKey: `${type} ${blob} vzmaster` };
}
