import { VzError } from '../../base/errors.ts';
import { deploy, type DeployReport, rollback } from '../deploy/deploy.ts';
import { loadManifest } from '../deploy/manifest.ts';
import { defineVerb } from '../../base/cli.ts';
import { summaryLine, table } from './output.ts';
import { stepPrinter, TARGET_OPTIONS, targetOf } from './target.ts';

function report(result: DeployReport, json: boolean): number {
  const counts = { ok: 0, changed: 0, failed: 0, unreachable: 0 };
  for (const h of result.hosts) counts[h.status]++;
  if (json) process.stdout.write(`${JSON.stringify({ ...result, summary: counts }, null, 2)}\n`);
  else {
    process.stdout.write(table(['HOST', 'RESULT', 'MESSAGE'], result.hosts.map((h) => [h.host, h.status, h.message || '-'])));
    for (const note of result.notes) process.stdout.write(`note: ${note}\n`);
    const placedNone = result.placement.unplaced > 0 && result.placement.added.length + result.hosts.filter((h) => h.status === 'ok' || h.status === 'changed').length === 0;
    const verdict = result.rolledBack ? 'ROLLED BACK' : result.failed ? 'FAILED, left as it is' : placedNone ? 'NOT DEPLOYED: no reachable host' : 'deployed';
    process.stdout.write(`${result.app}: ${verdict} ${result.image.split('/').pop()}\n${summaryLine(counts)}\n`);
  }
  if (result.failed || counts.failed > 0) return 2;
  // Fewer replicas than asked run: as when a host is unreachable (4), so a script does not read it as done.
  return counts.unreachable > 0 || result.placement.unplaced > 0 ? 4 : 0;
}

export const deployVerb = defineVerb({
  name: 'deploy',
  summary: 'deploy an app from a manifest: replicas spread over vendors, rolling, health-checked, rolled back when unhealthy',
  usage: 'vzmaster deploy <MANIFEST> [-i INVENTORY] [--json]\n  example: vzmaster deploy examples/hello.yml\n  a manifest with build: ./app.vz.yml builds the recipe first (skipped when its inputs are unchanged)',
  options: { ...TARGET_OPTIONS },
  async run({ values, positionals }) {
    if (!positionals[0]) throw new VzError('usage', `deploy: the manifest file is missing; usage: ${deployVerb.usage.split('\n')[0]}`);
    if (values.limit !== undefined) throw new VzError('usage', 'deploy: --limit does not apply: placement chooses the hosts (use replicas and the inventory)');
    const manifest = loadManifest(positionals[0]);
    const { config } = targetOf(values);
    // a build: apt's and the steps' lines, then the image and its size (pack's progress bar too, on a terminal)
    const onBuild = values.json ? undefined : (line: string) => process.stderr.write(`deploy build: ${line}\n`);
    return report(await deploy(config, manifest, stepPrinter('deploy', values.json), undefined, onBuild), values.json);
  },
});

export const rollbackVerb = defineVerb({
  name: 'rollback',
  summary: 'deploy the previous image of an app again, with its last manifest',
  usage: 'vzmaster rollback <APP> [-i INVENTORY] [--json]\n  example: vzmaster rollback hello',
  options: { ...TARGET_OPTIONS },
  async run({ values, positionals }) {
    if (!positionals[0]) throw new VzError('usage', `rollback: the app name is missing; usage: ${rollbackVerb.usage.split('\n')[0]}`);
    const { config } = targetOf(values);
    return report(await rollback(config, positionals[0], stepPrinter('rollback', values.json)), values.json);
  },
});
