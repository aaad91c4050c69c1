import { createInterface } from 'node:readline/promises';
import { VzError } from '../../base/errors.ts';
import { defineVerb } from '../../base/cli.ts';
import { APP_NAME, VOLUME_NAME } from '../../base/host-contract.ts';
import { newSteps } from '../app/ops.ts';
import { volumeDir } from '../app/host-paths.ts';
import { finish, stepPrinter, TARGET_OPTIONS, targetOf } from './target.ts';

/** Ask on the terminal: the app's name typed back, nothing less (a volume's data has no undo). */
async function confirmed(app: string, name: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`This deletes volume "${name}" of app "${app}" on every matched host, with its data. Type the app name to confirm: `);
    return answer.trim() === app;
  } finally {
    rl.close();
  }
}

/**
 * `vzmaster volume rm APP NAME`: the only way a volume goes (deploys, rollbacks and prunes never touch one). Asks
 * for the app's name on a terminal; elsewhere it needs --yes, so a script never deletes data by accident.
 */
export const volume = defineVerb({
  name: 'volume',
  summary: 'remove an app\'s volume (its data) from hosts: "volume rm APP NAME", confirmed by typing the app name or --yes',
  usage: 'vzmaster volume rm <APP> <NAME> [--yes] [-i INVENTORY] [--limit PATTERN] [--json]\n  example: vzmaster volume rm cache data',
  options: { ...TARGET_OPTIONS, yes: { type: 'boolean', default: false } },
  async run({ values, positionals }) {
    const [action, app, name] = positionals;
    if (action !== 'rm') throw new VzError('usage', `volume: "${action ?? ''}" is no volume command: use "volume rm APP NAME"`);
    if (!app || !APP_NAME.test(app)) throw new VzError('usage', `volume rm: give the app's name (lower-case letters, digits, "_", "-"); usage: ${volume.usage.split('\n')[0]}`);
    if (!name || !VOLUME_NAME.test(name)) throw new VzError('usage', `volume rm: give the volume's name as the manifest's volumes list it (a-z, 0-9, "_", "-"); usage: ${volume.usage.split('\n')[0]}`);
    if (!values.yes) {
      if (!process.stdin.isTTY) throw new VzError('usage', `volume rm deletes data: confirm with --yes (no terminal to ask on)`);
      if (!(await confirmed(app, name))) throw new VzError('usage', 'volume rm: not confirmed, nothing removed');
    }
    const target = targetOf(values);
    const steps = newSteps(target.config, target.limit, stepPrinter('volume', values.json));
    // ansible's file module: absent is ok where there is nothing, changed where it removed the directory.
    await steps.run('volume rm', { module: 'file', args: { path: volumeDir(app, name), state: 'absent' } });
    return finish(steps.summary().map((r) => ({ ...r, result: {} })), values.json, { app, volume: name });
  },
});
