import { VzError } from '../base/errors.ts';
import { HOST_NODE_PREFIX, nodeDistFor } from './node-dist.ts';
import { FIRST_LOOK, INSTALL_PYTHON, ROOT_REMOTE_TMP, nodeIsRecentEnough, parseFirstLook, type FirstLook } from './probe.ts';
import type { Connect, RemoteCall, StepResult } from './runner.ts';
import { Stage, type StepLog } from './stage.ts';

/** The facts bootstrap needs from the host's facts probe: runch answers there. */
export interface HostFacts {
  runch: string;
  node: string;
}

export interface BootstrapOptions<F extends HostFacts> {
  name: string;
  address: string;
  port: number;
  /** The account vz logs in as from now on (passwordless sudo). */
  user: string;
  /** root's password, for the first login; without it the host must already take the key as `user`. */
  password?: string;
  publicKey: string;
  keyFile: string;
  /** Where the Node archive made from the master's own Node is kept between runs. */
  cacheDir: string;
  /** Node's release tarball for a host whose architecture differs from the master's. */
  nodeDist?: string;
  /** How calls reach the host, per login (the master's ansible). */
  connect: Connect;
  /** What only the master knows: the calls that install runch, and where they put it. */
  runch: { install: RemoteCall[]; path: string };
  /** The host's facts probe (the one `nodes` runs) and its reader. */
  facts: { call: RemoteCall; parse(stdout: string): F | undefined };
  onStep?: (label: string, result: StepResult) => void;
}

export interface BootstrapReport<F extends HostFacts> {
  /** Every step's verdict, in order. */
  steps: StepLog;
  changed: boolean;
  /** The Node version installed by this run, if one was. */
  nodeInstalled?: string;
  facts: F;
}

/** Where runch is on sudo's PATH: beside the Node bootstrap installs. */
const RUNCH_LINK = `${HOST_NODE_PREFIX}/bin/runch`;

/**
 * The steps as the user, once login and sudo are proven, after Node: each a label (what the report and onStep show)
 * and its calls, plain data, each call safe to repeat. A new step is one more entry here.
 */
function userSteps<F extends HostFacts>(options: BootstrapOptions<F>): { label: string; calls: RemoteCall[] }[] {
  return [
    { label: 'runch', calls: [...options.runch.install, { module: 'file', args: { src: options.runch.path, dest: RUNCH_LINK, state: 'link', force: true } }] },
  ];
}

/**
 * From a fresh VPS to a vz host, every step an ansible builtin module (raw only before python exists), each safe
 * to repeat: a rerun after a failure converges, and a rerun on a ready host changes nothing.
 * 1. as root (with its password, or with the key when the vendor installed it for root; skipped on a rerun without a
 *    password, when the user already logs in and sudoes): python3 and sudo if missing, the user, its authorized key,
 *    passwordless sudo;
 * 2. as that user, with the key, through sudo (proving both): Node >= 18.19 if missing, then userSteps (runch), then
 *    the host's facts.
 */
export async function bootstrapHost<F extends HostFacts>(options: BootstrapOptions<F>): Promise<BootstrapReport<F>> {
  const steps: StepLog = [];
  const stage = (login: { user: string; password?: string; keyFile?: string; become?: boolean }) =>
    new Stage(options.connect, { name: options.name, address: options.address, port: options.port, ...login }, steps, options.onStep);
  const user = stage({ user: options.user, keyFile: options.keyFile, become: true });
  const sudo = { module: 'command', args: { argv: ['id', '-u'] } };
  // A rerun without a password: the user already logs in and sudoes, so that one call is the check.
  let whoami = options.password === undefined ? await user.run('sudo', sudo, { tolerate: ['failed', 'unreachable'], readOnly: true, silent: true }) : undefined;
  if (whoami?.status !== 'ok') {
    if (options.password !== undefined) await asRoot(stage({ user: 'root', password: options.password }), options);
    else {
      const root = stage({ user: 'root', keyFile: options.keyFile });
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
  for (const step of userSteps(options)) for (const call of step.calls) await user.run(step.label, call);
  const probe = await user.run('facts', options.facts.call, { readOnly: true });
  const facts = options.facts.parse(String(probe.result.stdout ?? ''));
  if (!facts) throw new VzError('system', `newnode ${options.address}: the host's facts could not be read`);
  if (facts.runch === 'none' || facts.runch === 'unknown') throw new VzError('system', `newnode ${options.address}: runch was installed but does not run (node ${facts.node})`);
  const changed = steps.some((s) => s.status === 'changed');
  return { steps, changed, nodeInstalled, facts };
}

async function asRoot(root: Stage, options: BootstrapOptions<HostFacts>): Promise<void> {
  let look = await firstLook(root, options);
  if (look.uid !== 0) throw new VzError('usage', `newnode ${options.address}: the first login must be root (uid ${look.uid} logged in)`);
  // ansible's own working directory, not host state: reported with the look, never as a change.
  await root.run('look', { module: 'raw', args: { _raw_params: ROOT_REMOTE_TMP } }, { readOnly: true });
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

async function firstLook(stage: Stage, options: BootstrapOptions<HostFacts>): Promise<FirstLook> {
  const result = await stage.run('look', { module: 'raw', args: { _raw_params: FIRST_LOOK } }, { readOnly: true });
  const look = parseFirstLook(String(result.result.stdout ?? ''));
  if (!look) throw new VzError('system', `newnode ${options.address}: the host's first look printed nothing vzmaster can read (is its login shell a POSIX shell?)`);
  return look;
}

/** Node >= 18.19 on sudo's PATH (the PATH runch runs with): installed in /usr/local when missing or older. */
async function ensureNode(user: Stage, options: BootstrapOptions<HostFacts>): Promise<string | undefined> {
  const result = await user.run('look', { module: 'command', args: { argv: ['sh', '-c', FIRST_LOOK, 'vz-look'] } }, { readOnly: true });
  const look = parseFirstLook(String(result.result.stdout ?? ''));
  if (!look) throw new VzError('system', `newnode ${options.address}: the host's first look printed nothing vzmaster can read`);
  if (nodeIsRecentEnough(look.node)) return undefined;
  const dist = await nodeDistFor(look.arch, { distFile: options.nodeDist, cacheDir: options.cacheDir, hostNode: look.node });
  await user.run('node', { module: 'unarchive', args: { src: dist.file, dest: HOST_NODE_PREFIX, extra_opts: [`--strip-components=${dist.stripComponents}`] } });
  return dist.version;
}
