import { dirname, join } from 'node:path';

/** Where one vzmaster state dir keeps ansible's own files (home, temp, control sockets, runs). */
export function ansibleDirs(stateDir: string) {
  return {
    home: join(stateDir, 'home'),
    localTmp: join(stateDir, 'tmp'),
    controlPath: join(stateDir, 'cp'),
    runs: join(stateDir, 'runs'),
  };
}

/**
 * The environment of every ansible run (ad-hoc calls and ansible-inventory). Why: ad-hoc runs ignore callbacks
 * (vzmaster's results plugin included) unless ANSIBLE_LOAD_CALLBACK_PLUGINS=1; ansible's home, temp and ControlPersist sockets stay inside the state dir so a lab
 * never writes to ~/.ansible; an inventory ansible cannot parse is an error, not an empty run. Deprecation warnings
 * stay on: vzmaster passes them on to the user (warnings.ts). A user's ANSIBLE_CONFIG
 * wins over the one vzmaster's config names, so ansible.cfg stays the user's to set.
 */
export function ansibleEnv(stateDir: string, ansibleConfig?: string, base: NodeJS.ProcessEnv = process.env, isolateHome = true): Record<string, string> {
  const dirs = ansibleDirs(stateDir);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined && key !== 'NODE_OPTIONS') env[key] = value;
  // A lab's ansible gets its own HOME; a user's keeps theirs, so "~/.ssh/key" in their inventory still means theirs.
  if (isolateHome) env.HOME = dirs.home;
  Object.assign(env, {
    ANSIBLE_LOCAL_TEMP: dirs.localTmp,
    ANSIBLE_SSH_CONTROL_PATH_DIR: dirs.controlPath,
    ANSIBLE_LOAD_CALLBACK_PLUGINS: '1',
    ANSIBLE_INVENTORY_UNPARSED_FAILED: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORCE_COLOR: '0',
    LANG: base.LANG ?? 'C.UTF-8',
  });
  if (!base.ANSIBLE_CONFIG && ansibleConfig) env.ANSIBLE_CONFIG = ansibleConfig;
  return env;
}

/**
 * The `ansible` binary: the run's own choice, else $VZ_ANSIBLE (e.g. another ansible-core unpacked beside the
 * machine's), else `ansible` on PATH.
 */
export function ansibleBinary(chosen?: string): string {
  return chosen || process.env.VZ_ANSIBLE || 'ansible';
}

/** A sibling tool of that ansible (`ansible-inventory`): from the same directory when ansible was given as a path. */
export function ansibleTool(tool: string, chosen?: string): string {
  const bin = ansibleBinary(chosen);
  return bin.includes('/') ? join(dirname(bin), tool) : tool;
}
