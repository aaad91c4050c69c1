import { VzError } from '../../base/errors.ts';
import { defineCommand } from './command.ts';

// Each subcommand loads only its own modules: `init exec` runs at every respawn, so it must not pay for the writer.
const lib = {
  manage: () => import('../../inittab-gen/manage.ts'),
  table: () => import('../../inittab-gen/table.ts'),
  logs: () => import('../../supervisor/logs/file.ts'),
};

const USAGE = `runch init <apply|add|set|remove|start|stop|status|mode|detect|exec> [flags]
  runch init add web1 --bundle /srv/web1 [--once]   add an entry to the host table and apply
  runch init set web1 --bundle /srv/web1-v2 [--mode init|supervisor]
                                        add it, or point it at another bundle (restarting it), and apply; --mode
                                        first switches the host to that mode; prints "no change" when nothing did
  runch init apply [--dry-run]          write init's configuration from the table and reload init
  runch init stop web1 | start web1     entry off (stopped for good) / back on
  runch init remove web1                entry gone, its process stopped
  runch init status [web1] [--json]     either mode (supervisor mode: what the supervisor reports)
  runch init mode [init|supervisor]     show or switch the host's mode (supervisor: init respawns runch supervise);
                                        kept in the file "mode" beside the table
  runch init detect [--json]            which init runs here, and what vz supports (--json: with the policy table)
  runch init exec web1                  (old lines) compile the launcher and become it
  runch init prepare web1               (run by a launcher that found a change) end leftovers, recompile
  flags: --table FILE, --log-dir DIR (default $VZ_TABLE / $VZ_LOG_DIR, else the host config /var/lib/vz/host.json,
         else /etc/vz/table and /var/log/vz),
         --init sysvinit|sysvinit-block|busybox|systemd|openrc, --telinit PATH`;

/** 15 s between failed spawns keeps them at 8 per 120 s, below sysvinit's "respawning too fast". */
const EXEC_ERROR_WAIT_MS = 15_000;

function idArg(sub: string, positionals: string[]): string {
  const value = positionals[1];
  if (!value) throw new VzError('usage', `init ${sub}: the container id is missing; usage: ${USAGE.split('\n')[0]}`);
  return value;
}

export const init = defineCommand({
  name: 'init',
  summary: 'init mode: containers as sysvinit / busybox init respawn entries, nothing of vz resident',
  usage: USAGE,
  options: {
    table: { type: 'string' },
    'log-dir': { type: 'string' },
    init: { type: 'string' },
    telinit: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    bundle: { type: 'string', short: 'b' },
    once: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    mode: { type: 'string' },
  },
  async run({ values, positionals, globals, store }) {
    const sub = positionals[0] ?? '';
    const { loadEntries, findEntry } = await lib.table();
    const { logPath, rotateIfBig } = await lib.logs();
    const paths = (await import('../host/paths.ts')).hostPaths({ table: values.table, logDir: values['log-dir'] }, globals.root, store);
    const host = {
      ...paths,
      init: values.init,
      telinit: values.telinit,
      dryRun: values['dry-run'],
    };
    // "no change" (and only then) when neither init's configuration nor the table changed.
    const report = (result: { diff: string; reloaded: boolean; plan: { skipped: string[] } }, tableChanged = false) => {
      if (host.dryRun) process.stdout.write(result.diff || 'no change\n');
      else if (!result.reloaded && !tableChanged) process.stdout.write('no change: init not reloaded\n');
      else if (!result.reloaded) process.stdout.write('table updated; init\'s configuration unchanged\n');
      for (const id of result.plan.skipped) process.stderr.write(`runch: entry "${id}" is cron: init has no schedule, so "runch supervise" runs it\n`);
      return 0;
    };
    if (sub === 'exec' || sub === 'prepare') {
      // The container's id (or, on a line written before the host config, its old form `@<inittab id>`).
      const name = idArg(sub, positionals);
      let entry;
      try {
        entry = (await import('../../inittab-gen/reference.ts')).resolveName(loadEntries(host.table), name);
      } catch (error) {
        // Init respawns at once: a table that cannot be read must not become 10 spawns in 120 s (init's limit).
        process.stderr.write(`runch: ${(error as Error).message} (retrying in ${EXEC_ERROR_WAIT_MS / 1000} s)\n`);
        await new Promise((resolve) => setTimeout(resolve, EXEC_ERROR_WAIT_MS));
        throw error;
      }
      if (!entry || entry.action === 'off') {
        // The table changed behind init's back (an editor, a supervisor-mode kill): apply it, and init stops us.
        process.stderr.write(`runch: ${entry ? `entry "${entry.id}" is off` : `entry "${name}" is gone`} in ${host.table} but init still runs it: applying the table\n`);
        await (await lib.manage()).applyHost(host);
        return sub === 'prepare' ? 1 : 0; // a launcher's prepare: the launcher must not start it
      }
      const id = entry.id;
      // No process of vz stays to watch the log's size: it is rotated (the table's log-size, log-keep) at each start.
      const table = (await import('../../supervisor/table/index.ts')).readTable(host.table).entries.find((e) => e.id === id);
      if (table) rotateIfBig(host.logDir, id, table.logSize, table.logKeep);
      const { DEFAULT_POLICY } = await import('../../supervisor/policy/index.ts');
      const { execContainer, prepareContainer } = await import('../../inittab-gen/exec.ts');
      // The launcher compiled again, as `runch init apply` compiles it (inittab-gen/launcher.ts).
      const compile = async () => {
        const launcher = (await lib.manage()).currentLauncher(host);
        const [result] = await (await import('../../inittab-gen/compile-entry.ts')).compileEntries(host, [entry], launcher);
        return { path: (await import('../../inittab-gen/launcher.ts')).launcherPath(host.table, id), error: result?.error };
      };
      const options = { bundle: entry.bundle, logPath: logPath(host.logDir, id), policy: DEFAULT_POLICY };
      if (sub === 'prepare') return prepareContainer(host.store, id, options, compile).then(() => 0);
      return execContainer(host.store, id, options, compile);
    }
    const { modeFile, readMode } = await import('../../inittab-gen/mode.ts');
    const wantedMode = values.mode;
    if (wantedMode !== undefined && wantedMode !== 'init' && wantedMode !== 'supervisor')
      throw new VzError('usage', `init ${sub}: --mode "${wantedMode}" is no mode: use init or supervisor`);
    if (wantedMode !== undefined && sub !== 'set') throw new VzError('usage', `init ${sub}: --mode goes with "set" only (or use "runch init mode ${wantedMode}")`);
    if (sub === 'apply') return report(await (await lib.manage()).applyHost(host));
    // An old line's reference (`@<inittab id>`) still names its entry wherever an existing entry is meant.
    const existingId = async (word: string) => {
      if (!word.startsWith('@')) return word;
      const found = (await import('../../inittab-gen/reference.ts')).resolveName(loadEntries(host.table), word);
      if (!found) throw new VzError('not-found', `no entry of the table ${host.table} has inittab id "${word.slice(1)}" (${word}): see "runch init status"`);
      return found.id;
    };
    if (sub === 'set') {
      const id = idArg(sub, positionals);
      const bundle = values.bundle;
      if (!bundle) throw new VzError('usage', `init ${sub}: --bundle DIR is missing (the OCI bundle of the container)`);
      const outcome = await (await lib.manage()).setEntry(host, id, { bundle, once: values.once }, wantedMode);
      if (outcome.switched) process.stdout.write(`mode: ${wantedMode}\n`);
      if (outcome.stoppedOld) process.stdout.write(`${id}: stopped on its old bundle, starting on the new one\n`);
      if (outcome.notStarted) process.stderr.write(`runch: ${id} is on in the table, but the supervisor has not started it yet (is "runch supervise" running?)\n`);
      return report(outcome.result, outcome.result.tableChanged || outcome.switched || outcome.stoppedOld);
    }
    if (sub === 'add' || sub === 'remove' || sub === 'start' || sub === 'stop') {
      const id = sub === 'add' ? idArg(sub, positionals) : await existingId(idArg(sub, positionals));
      const { editAndApply, resetTally } = await lib.manage();
      let edit: import('../../inittab-gen/manage.ts').Edit;
      if (sub === 'add') {
        const bundle = values.bundle;
        if (!bundle) throw new VzError('usage', `init ${sub}: --bundle DIR is missing (the OCI bundle of the container)`);
        // A bundle that cannot run is refused now, not found out by init in a crash loop.
        (await import('../oci/load.ts')).loadBundle(bundle);
        edit = { kind: sub, bundle, once: values.once };
      } else edit = { kind: sub };
      const supervised = readMode(modeFile(host.table)) === 'supervisor';
      if (sub === 'start' && !host.dryRun) resetTally(host.store, id);
      const before = (sub === 'stop' || sub === 'remove') && supervised ? loadEntries(host.table).find((e) => e.id === id) : undefined;
      const editedMs = Date.now();
      const result = await editAndApply(host, id, edit);
      if (supervised && result.tableChanged && !host.dryRun && (sub === 'add' || sub === 'start')) {
        // Return once the supervisor runs the new entry (as init mode returns once init has it).
        const entry = loadEntries(host.table).find((e) => e.id === id)!;
        const { waitSupervisedUp } = await import('../../inittab-gen/supervised.ts');
        if (!(await waitSupervisedUp(id, entry.bundle, editedMs, 20_000)))
          process.stderr.write(`runch: ${id} is on in the table, but the supervisor has not started it yet (is "runch supervise" running?)\n`);
      }
      if (before && result.tableChanged) {
        // Init mode returns once the process is gone; so does supervisor mode, by waiting for the supervisor.
        const { waitSupervisedDown } = await import('../../inittab-gen/supervised.ts');
        if (!(await waitSupervisedDown(id, before.stopTimeoutMs + 5_000)))
          process.stderr.write(`runch: ${id} is off in the table, but the supervisor has not stopped it yet (is "runch supervise" running?)\n`);
      }
      return report(result, result.tableChanged);
    }
    if (sub === 'status') {
      const all = loadEntries(host.table);
      const entries = positionals[1] ? [findEntry(all, await existingId(positionals[1]), host.table)] : all;
      const { formatStatus, initStatus } = await import('../../inittab-gen/status.ts');
      if (readMode(modeFile(host.table)) === 'supervisor') {
        const { supervisedStatus } = await import('../../inittab-gen/supervised.ts');
        const rows = supervisedStatus(host.table).filter((r) => entries.some((e) => e.id === r.id));
        process.stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : formatStatus(rows as Parameters<typeof formatStatus>[0]));
        return 0;
      }
      const rows = entries.map((e) => initStatus(host.store, e));
      process.stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : formatStatus(rows));
      return 0;
    }
    if (sub === 'mode') {
      const wanted = positionals[1];
      if (wanted === undefined) {
        process.stdout.write(`${readMode(modeFile(host.table))}\n`);
        return 0;
      }
      if (wanted !== 'init' && wanted !== 'supervisor') throw new VzError('usage', `init mode: "${wanted}" is no mode: use init or supervisor`);
      return report(await (await lib.manage()).switchMode(host, wanted));
    }
    if (sub === 'detect') {
      const { SUPPORTED, detectInit } = await import('../../inittab-gen/detect.ts');
      const found = detectInit(host.init);
      const { schedulesHere, schedulesText } = await import('../../inittab-gen/schedules-here.ts');
      const schedules = schedulesHere(found.kind);
      if (values.json) {
        // The policy table (inittab-gen/policy-table.ts): what this init, and supervisor mode, make of each field.
        const { POLICY_TABLE } = await import('../../inittab-gen/policy-table.ts');
        process.stdout.write(`${JSON.stringify({ ...found, mode: readMode(modeFile(host.table)), schedules, policies: { [found.kind]: POLICY_TABLE[found.kind], supervisor: POLICY_TABLE.supervisor }, table: POLICY_TABLE }, null, 2)}\n`);
        return 0;
      }
      process.stdout.write(`${found.kind}${found.version ? ` ${found.version}` : ''}: ${found.dialect} (${found.binary ?? '?'})\nschedules: ${schedulesText(schedules)}\nsupported: ${SUPPORTED}\n`);
      return 0;
    }
    throw new VzError('usage', `init: unknown subcommand "${sub}"; usage: ${USAGE.split('\n')[0]}`);
  },
});
