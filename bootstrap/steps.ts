import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VzError } from '../base/errors.ts';
import type { AdhocCall } from '../master-cli/ansible/argv.ts';
import { settleChanged, type HostResult } from '../master-cli/ansible/result.ts';
import { runAdhoc } from '../master-cli/ansible/run.ts';
import { HOST_RUNCH } from '../master-cli/app/host-paths.ts';
import { runchInstallCalls } from '../master-cli/app/ops.ts';
import { parseFacts, PROBE_ARGV, type NodeFacts } from '../master-cli/nodes/probe.ts';
import { HOST_NODE_PREFIX, nodeDistFor } from './node-dist.ts';
import { FIRST_LOOK, INSTALL_PYTHON, nodeIsRecentEnough, parseFirstLook, type FirstLook } from './probe.ts';
import { renderSessionInventory, type Login } from './session-inventory.ts';

export interface BootstrapOptions {
  name: string;
  address: string;
  port: number;
  /** The account vz logs in as from now on (passwordless sudo). */
  user: string;
  /** root's password, for the first login; without it the host must already take the key as `user`. */
  password?: string;
  publicKey: string;
  keyFile: string;
  stateDir: string;
  ansibleConfig?: string;
  /** Node's release tarball for a host whose architecture differs from the master's. */
  nodeDist?: string;
  connectTimeout: number;
  taskTimeout: number;
  onStep?: (label: string, result: HostResult) => void;
}

export interface BootstrapReport {
  /** Every step's verdict, in order. */
  steps: { label: string; status: HostResult['status'] }[];
  changed: boolean;
  /** The Node version installed by this run, if one was. */
  nodeInstalled?: string;
  facts: NodeFacts;
}

/** Runs one stage's calls against its one-host inventory; any failed step ends the bootstrap with its message. */
class Stage {
  private readonly options: BootstrapOptions;
  private readonly inventory: string;
  readonly report: BootstrapReport['steps'];

  constructor(options: BootstrapOptions, dir: string, login: Login, report: BootstrapReport['steps']) {
    this.options = options;
    this.inventory = join(dir, `${login.user}.yml`);
    writeFileSync(this.inventory, renderSessionInventory(login), { mode: 0o600 });
    this.report = report;
  }

  /**
   * tolerate: verdicts returned instead of thrown. readOnly: a probe through command or raw, which ansible always
   * counts as a change; it changes nothing. silent: a try whose failure is expected (not reported as a step).
   */
  async run(label: string, call: AdhocCall, how: { tolerate?: ('failed' | 'unreachable')[]; readOnly?: boolean; silent?: boolean } = {}): Promise<HostResult> {
    const { options } = this;
    const outcome = await runAdhoc(
      { inventory: this.inventory, stateDir: options.stateDir, ansibleConfig: options.ansibleConfig },
      // A first contact must not stop at ssh's "new host key" question (sshpass cannot answer it): accept a new key
      // as a first manual ssh would, and still refuse a changed one.
      { ...call, connectTimeout: options.connectTimeout, taskTimeout: options.taskTimeout, sshExtraArgs: '-o StrictHostKeyChecking=accept-new' },
    );
    const reported = outcome.hosts[0];
    const result = how.readOnly && reported ? settleChanged(reported, () => false) : reported;
    if (!result) throw new VzError('system', `newnode ${options.address}: ${label}: ansible reported nothing for the host`);
    const bad = result.status === 'failed' || result.status === 'unreachable';
    if (!(how.silent && bad)) {
      this.report.push({ label, status: result.status });
      options.onStep?.(label, result);
    }
    if (bad && !how.tolerate?.includes(result.status as 'failed' | 'unreachable'))
      throw new VzError('system', `newnode ${options.address}: ${label}: ${result.message}`);
    return result;
  }
}

/**
 * From a fresh VPS to a vz host, every step an ansible builtin module (raw only before python exists), each safe
 * to repeat: a rerun after a failure converges, and a rerun on a ready host changes nothing.
 * 1. as root (with its password, or with the key when the vendor installed it for root; skipped on a rerun without a
 *    password, when the user already logs in and sudoes): python3 and sudo if missing, the user, its authorized key,
 *    passwordless sudo;
 * 2. as that user, with the key, through sudo (proving both): Node >= 22.15 if missing, runch, the host's facts.
 */
export async function bootstrapHost(options: BootstrapOptions): Promise<BootstrapReport> {
  const runsDir = join(options.stateDir, 'newnode');
  mkdirSync(runsDir, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(runsDir, 'run-'));
  const steps: BootstrapReport['steps'] = [];
  try {
    const base = { name: options.name, address: options.address, port: options.port };
    const user = new Stage(options, dir, { ...base, user: options.user, keyFile: options.keyFile, become: true }, steps);
    const sudo = { module: 'command', args: { argv: ['id', '-u'] } };
    // A rerun without a password: the user already logs in and sudoes, so that one call is the check.
    let whoami = options.password === undefined ? await user.run('sudo', sudo, { tolerate: ['failed', 'unreachable'], readOnly: true, silent: true }) : undefined;
    if (whoami?.status !== 'ok') {
      if (options.password !== undefined) await asRoot(new Stage(options, dir, { ...base, user: 'root', password: options.password }, steps), options);
      else {
        const root = new Stage(options, dir, { ...base, user: 'root', keyFile: options.keyFile }, steps);
        const login = await root.run('look', { module: 'raw', args: { _raw_params: 'true' } }, { tolerate: ['failed', 'unreachable'], readOnly: true, silent: true });
        if (login.status !== 'ok')
          throw new VzError('system', `newnode ${options.address}: neither ${options.user} nor root logs in with ${options.keyFile} (${login.message}): pass -k for a first login as root with its password`);
        await asRoot(root, options);
      }
      whoami = await user.run('sudo', sudo, { tolerate: ['failed', 'unreachable'], readOnly: true });
    }
    if (whoami.status === 'unreachable' || whoami.status === 'failed') throw new VzError('system', `newnode ${options.address}: ${options.user} cannot log in or use sudo: ${whoami.message}`);
    if (String(whoami.result.stdout).trim() !== '0') throw new VzError('system', `newnode ${options.address}: sudo as ${options.user} did not give root (id -u printed ${JSON.stringify(whoami.result.stdout)})`);
    const nodeInstalled = await ensureNode(user, options);
    for (const call of runchInstallCalls()) await user.run('runch', call);
    await user.run('runch', { module: 'file', args: { src: HOST_RUNCH, dest: '/usr/local/bin/runch', state: 'link', force: true } });
    const probe = await user.run('facts', { module: 'command', args: { argv: PROBE_ARGV } }, { readOnly: true });
    const facts = parseFacts(String(probe.result.stdout ?? ''));
    if (!facts) throw new VzError('system', `newnode ${options.address}: the host's facts could not be read`);
    if (facts.runch === 'none' || facts.runch === 'unknown') throw new VzError('system', `newnode ${options.address}: runch was installed but does not run (node ${facts.node})`);
    const changed = steps.some((s) => s.status === 'changed');
    return { steps, changed, nodeInstalled, facts };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function asRoot(root: Stage, options: BootstrapOptions): Promise<void> {
  let look = await firstLook(root, options);
  if (look.uid !== 0) throw new VzError('usage', `newnode ${options.address}: the first login must be root (uid ${look.uid} logged in)`);
  if (look.python === 'none') {
    await root.run('python', { module: 'raw', args: { _raw_params: INSTALL_PYTHON } });
    look = await firstLook(root, options);
    if (look.python === 'none') throw new VzError('system', `newnode ${options.address}: python3 is still missing after installing it with ${look.pkg}`);
  }
  if (look.sudo === 'none') await root.run('sudo', { module: 'package', args: { name: 'sudo', state: 'present' } });
  // password "*": no password login, but not a locked account ("!"), which sshd without PAM refuses even for keys.
  const account = await root.run('user', { module: 'user', args: { name: options.user, create_home: true, state: 'present', password: '*', update_password: 'always' } });
  const { home, group } = account.result as { home?: unknown; group?: unknown };
  if (typeof home !== 'string' || !home.startsWith('/')) throw new VzError('system', `newnode ${options.address}: the user ${options.user} has no home directory`);
  const owner = { owner: options.user, ...(typeof group === 'number' ? { group: String(group) } : {}) };
  await root.run('key', { module: 'file', args: { path: `${home}/.ssh`, state: 'directory', mode: '0700', ...owner } });
  // lineinfile, not copy: keys the operator added to this account stay.
  await root.run('key', { module: 'lineinfile', args: { path: `${home}/.ssh/authorized_keys`, line: options.publicKey.trim(), create: true, mode: '0600', ...owner } });
  await root.run('sudoers', {
    module: 'copy',
    args: { content: `# written by vzmaster newnode: vz drives this host as ${options.user}, through sudo\n${options.user} ALL=(ALL:ALL) NOPASSWD: ALL\n`, dest: `/etc/sudoers.d/vz-${options.user}`, mode: '0440', owner: 'root', validate: 'visudo -cf %s' },
  });
}

async function firstLook(stage: Stage, options: BootstrapOptions): Promise<FirstLook> {
  const result = await stage.run('look', { module: 'raw', args: { _raw_params: FIRST_LOOK } }, { readOnly: true });
  const look = parseFirstLook(String(result.result.stdout ?? ''));
  if (!look) throw new VzError('system', `newnode ${options.address}: the host's first look printed nothing vzmaster can read (is its login shell a POSIX shell?)`);
  return look;
}

/** Node >= 22.15 on sudo's PATH (the PATH runch runs with): installed in /usr/local when missing or older. */
async function ensureNode(user: Stage, options: BootstrapOptions): Promise<string | undefined> {
  const result = await user.run('look', { module: 'command', args: { argv: ['sh', '-c', FIRST_LOOK, 'vz-look'] } }, { readOnly: true });
  const look = parseFirstLook(String(result.result.stdout ?? ''));
  if (!look) throw new VzError('system', `newnode ${options.address}: the host's first look printed nothing vzmaster can read`);
  if (nodeIsRecentEnough(look.node)) return undefined;
  const dist = await nodeDistFor(look.arch, { distFile: options.nodeDist, cacheDir: join(options.stateDir, 'cache') });
  await user.run('node', { module: 'unarchive', args: { src: dist.file, dest: HOST_NODE_PREFIX, extra_opts: [`--strip-components=${dist.stripComponents}`] } });
  return dist.version;
}
