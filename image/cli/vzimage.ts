import { VzError } from '../../base/errors.ts';
import type { Command } from './run.ts';

/** Verbs load lazily: `vzimage unpack` does not pay for the code of the others. */
export const verbs: Record<string, () => Promise<Command>> = {
  build: async () => (await import('./build.ts')).buildCommand,
  rootfs: async () => (await import('./rootfs.ts')).rootfsCommand,
  bundle: async () => (await import('./bundle.ts')).bundleCommand,
  pack: async () => (await import('./pack.ts')).packCommand,
  unpack: async () => (await import('./unpack.ts')).unpackCommand,
  'import-docker': async () => (await import('./import-docker.ts')).importDockerCommand,
  export: async () => (await import('./export.ts')).exportCommand,
  'import-image': async () => (await import('./import-image.ts')).importImageCommand,
};

/** `--args` starts the program's arguments, like `--`: parseArgs then leaves them all positional. */
export function splitArgs(argv: string[]): string[] {
  const at = argv.indexOf('--args');
  const dash = argv.indexOf('--');
  if (at === -1 || (dash !== -1 && dash < at)) return argv;
  return [...argv.slice(0, at), '--', ...argv.slice(at + 1)];
}

export async function usage(): Promise<string> {
  const lines = ['usage: vzimage <command> [flags]', '', 'commands:'];
  for (const [name, load] of Object.entries(verbs)) lines.push(`  ${name.padEnd(14)} ${(await load()).summary}`);
  lines.push('', 'exit codes: 0 ok; 1 error (one line on stderr)');
  return lines.join('\n') + '\n';
}

/** `vzimage VERB ...`: picks the verb's command; the bin runs it. */
export async function pickVerb(argv: string[]): Promise<{ command: Command; rest: string[] }> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    const text = await usage();
    return { command: { name: 'help', summary: '', usage: '', options: {}, run: async () => (process.stdout.write(text), verb === undefined ? 1 : 0) }, rest: [] };
  }
  const load = verbs[verb];
  if (!load) throw new VzError('usage', `unknown command "${verb}": see "vzimage --help"`);
  return { command: await load(), rest: splitArgs(rest) };
}
