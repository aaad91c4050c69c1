/**
 * The one table of what each init does with a container's restart policy, schedule, stop signal and stop timeout:
 * native (the init's own feature), mapped (vz does it with what the init has; the note says how) or refused (one
 * line naming the fix). runch/host/apply.ts refuses from it, `runch init detect --json` prints it, docs/inittab-gen.md
 * shows it, and vzmaster deploy refuses from it on the master before any host is touched (hence base/: both sides
 * read it). Pure data: nothing is silently approximated.
 */
export type Support = 'native' | 'mapped' | 'refused';
export const FEATURES = ['always', 'unless-stopped', 'on-failure', 'no', 'schedule', 'stop-signal', 'stop-timeout'] as const;
export type Feature = (typeof FEATURES)[number];
export const TABLE_INITS = ['sysvinit', 'busybox', 'systemd', 'openrc', 'supervisor'] as const;
export type TableInit = (typeof TABLE_INITS)[number];

export interface Cell {
  support: Support;
  /** How it is done, or (refused) why not. */
  how: string;
  /** Refused only: what the user can do instead. */
  fix?: string;
}

const SUPERVISOR_FIX = 'set vz_mode: supervisor for this host';
const native = (how: string): Cell => ({ support: 'native', how });
const mapped = (how: string): Cell => ({ support: 'mapped', how });
const refused = (how: string, fix: string): Cell => ({ support: 'refused', how, fix });

export const POLICY_TABLE: Record<TableInit, Record<Feature, Cell>> = {
  sysvinit: {
    always: mapped('a respawn line; vz\'s launcher spaces quick exits (backoff) and keeps under init\'s "respawning too fast"'),
    'unless-stopped': mapped('as always; a stop sets the entry off, so a reboot keeps it stopped'),
    'on-failure': refused('it restarts on every exit, whatever its code', `${SUPERVISOR_FIX}, or use restart: always`),
    no: mapped('a once line: run one time, not restarted'),
    schedule: refused('it has no clock', `${SUPERVISOR_FIX}, or drop the schedule`),
    'stop-signal': mapped('init TERMs the process group when the line goes; vz then sends the stop signal, waits, KILLs'),
    'stop-timeout': mapped('vz waits the stop timeout, then KILLs the container'),
  },
  busybox: {
    always: mapped('a ::respawn: line (busybox waits ~1 s between spawns); vz\'s launcher adds the backoff'),
    'unless-stopped': mapped('as always; a stop sets the entry off, so a reboot keeps it stopped'),
    'on-failure': refused('it restarts on every exit, whatever its code', `${SUPERVISOR_FIX}, or use restart: always`),
    no: refused('it runs "once" entries at boot only', `${SUPERVISOR_FIX}, or use restart: always`),
    schedule: refused('it has no clock', `${SUPERVISOR_FIX}, or drop the schedule`),
    'stop-signal': mapped('busybox TERMs the pid only; vz sends the stop signal to the whole container, waits, KILLs'),
    'stop-timeout': mapped('vz waits the stop timeout, then KILLs the container'),
  },
  systemd: {
    always: native('Restart=always, RestartSec=0: the launcher\'s backoff spaces quick exits (at most 8 starts in any 120 s); StartLimitIntervalSec=120 with StartLimitBurst=10 stops only a launcher that fails before its backoff (left failed until the next start)'),
    'unless-stopped': native('Restart=always; a stop is systemctl disable --now, which daemon-reload and a reboot keep'),
    'on-failure': native('Restart=on-failure, with always\'s start limit; on-failure:N is StartLimitBurst=N+1 with StartLimitIntervalSec=infinity'),
    no: native('Restart=no'),
    schedule: native('a timer: OnCalendar= from the cron fields (AccuracySec=1s); a run still going is not started again (no overlap); a day of the month and of the week both given is refused (cron: either, systemd: both)'),
    'stop-signal': native('KillSignal=, KillMode=mixed (the signal to the container\'s main process, KILL to the rest of the cgroup)'),
    'stop-timeout': native('TimeoutStopSec='),
  },
  openrc: {
    always: native('supervise-daemon respawns: respawn_delay from vz\'s first delay, respawn_max=0 (forever); the launcher adds the backoff'),
    'unless-stopped': native('as always; a stop is rc-service stop plus rc-update del default, which a reboot keeps'),
    'on-failure': refused('supervise-daemon respawns on every exit, whatever its code', `${SUPERVISOR_FIX}, or use restart: always`),
    no: mapped('start-stop-daemon runs it in the background once; not restarted'),
    schedule: mapped('a line in vz\'s marked block of root\'s crontab for the busybox crond running there (foreign lines kept byte for byte), under flock -n so a run still going skips the next (no overlap); 5 fields (cron counts minutes); with no busybox crond running, refused in one line naming the fix (rc-update add crond default, or vz_mode: supervisor)'),
    'stop-signal': native('retry=SIG<signal>/<timeout>/SIGKILL/5'),
    'stop-timeout': native('the timeout of retry='),
  },
  supervisor: {
    always: native('runch supervise restarts it with vz\'s backoff and crash-loop hold'),
    'unless-stopped': native('runch supervise; a stop sets the entry off'),
    'on-failure': native('runch supervise restarts on a non-zero exit, at most N times for on-failure:N'),
    no: native('runch supervise runs it once'),
    schedule: native('runch supervise runs it on the cron schedule, never two runs at once'),
    'stop-signal': native('runch supervise sends it to the container'),
    'stop-timeout': native('runch supervise waits it, then KILLs'),
  },
};

const NAMES: Record<TableInit, string> = { sysvinit: 'a sysvinit init', busybox: 'a busybox init', systemd: 'systemd', openrc: 'OpenRC', supervisor: 'the supervisor' };

/** The refusal of `feature` under `init`, as one line naming the fix; undefined when the init honours it. */
export function refusal(init: TableInit, feature: Feature, what: string): string | undefined {
  const cell = POLICY_TABLE[init][feature];
  return cell.support === 'refused' ? `${what} needs supervisor mode on ${NAMES[init]} (${cell.how}): ${cell.fix}` : undefined;
}

const cellText = (cell: Cell) => `**${cell.support}**: ${cell.how}${cell.fix ? ` (fix: ${cell.fix})` : ''}`.replaceAll('|', '\\|');

/** The table as Markdown rows (docs/inittab-gen.md holds this text; a test checks it is current). */
export function policyTableMarkdown(): string {
  const head = `| init | ${FEATURES.join(' | ')} |\n|---|${FEATURES.map(() => '---').join('|')}|\n`;
  return head + TABLE_INITS.map((init) => `| ${init} | ${FEATURES.map((f) => cellText(POLICY_TABLE[init][f])).join(' | ')} |`).join('\n') + '\n';
}
