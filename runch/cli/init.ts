import { SUPPORTED, detectInit } from '../../inittab-gen/detect.ts';
import { logPathOf } from '../../inittab-gen/entry.ts';
import { addEntry, applyHost, editAndApply, type HostOptions, removeEntry, resetTally, setAction } from '../../inittab-gen/manage.ts';
import { formatStatus, initStatus } from '../../inittab-gen/status.ts';
import { DEFAULT_TABLE, findEntry, loadTable } from '../../inittab-gen/table.ts';
import { execContainer } from '../container/exec.ts';
import { VzError } from '../lib/errors.ts';
import type { Command } from './command.ts';

const USAGE = `runch init <apply|add|remove|start|stop|status|detect|exec> [flags]
  runch init add web1 --bundle /srv/web1 [--log FILE] [--once]   add an entry and apply
  runch init apply [--dry-run]          write init's configuration from the table and reload init
  runch init stop web1 | start web1     entry off (stopped for good) / back on
  runch init remove web1                entry gone, its process stopped
  runch init status [web1] [--json]
  runch init detect                     which init runs here, and what vz supports
  runch init exec web1                  (run by init) wait out the backoff, then become the container
  flags: --table FILE (default ${DEFAULT_TABLE}), --init sysvinit|busybox|systemd|openrc, --telinit PATH`;

function arg(positionals: string[], at: number, what: string): string {
  const value = positionals[at];
  if (!value) throw new VzError('usage', `init ${positionals[0]}: ${what} is missing; usage: ${USAGE.split('\n')[0]}`);
  return value;
}

export const init: Command = {
  name: 'init',
  summary: 'init mode: containers as sysvinit / busybox init respawn entries, nothing of vz resident',
  usage: USAGE,
  options: {
    table: { type: 'string', default: DEFAULT_TABLE },
    init: { type: 'string' },
    telinit: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    bundle: { type: 'string', short: 'b' },
    log: { type: 'string' },
    once: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  async run({ values, positionals, store }) {
    const sub = positionals[0];
    const host: HostOptions = {
      table: values.table as string,
      store,
      init: values.init as string | undefined,
      telinit: values.telinit as string | undefined,
      dryRun: values['dry-run'] as boolean,
    };
    const report = (result: { diff: string; reloaded: boolean; plan: { skipped: string[] } }) => {
      if (host.dryRun) process.stdout.write(result.diff || 'no change\n');
      else if (!result.reloaded) process.stdout.write('no change: init not reloaded\n');
      for (const id of result.plan.skipped) process.stderr.write(`runch: entry "${id}" is cron: init has no schedule, the supervisor runs it\n`);
      return 0;
    };
    switch (sub) {
      case 'exec': {
        const id = arg(positionals, 1, 'the container id');
        const entry = findEntry(loadTable(host.table), id, host.table);
        if (entry.action === 'off') throw new VzError('bad-state', `entry "${id}" is off in ${host.table}: start it with "runch init start ${id}"`);
        return execContainer(store, id, {
          bundle: entry.bundle,
          logPath: logPathOf(entry),
          backoffBaseMs: entry.backoffBaseMs,
          backoffCapMs: entry.backoffCapMs,
        });
      }
      case 'apply':
        return report(await applyHost(host));
      case 'add': {
        const id = arg(positionals, 1, 'the container id');
        const bundle = values.bundle as string | undefined;
        if (!bundle) throw new VzError('usage', 'init add: --bundle DIR is missing (the absolute path of the OCI bundle)');
        return report(
          await editAndApply(host, (t) => addEntry(t, { id, bundle, action: values.once ? 'once' : 'respawn', logPath: values.log as string | undefined })),
        );
      }
      case 'remove': {
        const id = arg(positionals, 1, 'the container id');
        return report(await editAndApply(host, (t) => removeEntry(t, id, host.table)));
      }
      case 'stop': {
        const id = arg(positionals, 1, 'the container id');
        return report(await editAndApply(host, (t) => setAction(t, id, host.table, 'off')));
      }
      case 'start': {
        const id = arg(positionals, 1, 'the container id');
        if (!host.dryRun) resetTally(store, id);
        return report(await editAndApply(host, (t) => setAction(t, id, host.table, 'respawn')));
      }
      case 'status': {
        const entries = loadTable(host.table).entries.filter((e) => !positionals[1] || e.id === positionals[1]);
        if (positionals[1] && entries.length === 0) findEntry({ entries }, positionals[1], host.table);
        const rows = entries.map((e) => initStatus(store, e));
        process.stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : formatStatus(rows));
        return 0;
      }
      case 'detect': {
        const found = detectInit(host.init);
        process.stdout.write(`${found.kind}${found.version ? ` ${found.version}` : ''}: ${found.dialect} (${found.binary ?? '?'})\nsupported: ${SUPPORTED}\n`);
        return 0;
      }
      default:
        throw new VzError('usage', `init: unknown subcommand "${sub ?? ''}"; usage: ${USAGE.split('\n')[0]}`);
    }
  },
};
