import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { VzError } from '../../base/errors.ts';
import { decompressor, sniff } from '../../image/compression.ts';
import { parseConfig } from '../../runch/oci/load.ts';
import { parseRlimit, withRlimits } from '../../runch/oci/rlimit-text.ts';
import type { Rlimit } from '../../runch/oci/schema.ts';
import { openSync, readSync, closeSync } from 'node:fs';

/** The bundle's config.json inside an image, read without unpacking the rest, checked by runch's own schema. */
export async function readImageConfig(imageFile: string): Promise<Record<string, unknown>> {
  const head = Buffer.alloc(8);
  const fd = openSync(imageFile, 'r');
  readSync(fd, head, 0, 8, 0);
  closeSync(fd);
  let text: string | undefined;
  const parser = new tar.Parser({
    filter: (path) => path === 'config.json' || path === './config.json',
    onReadEntry: (entry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => (text = Buffer.concat(chunks).toString('utf8')));
    },
  });
  const stages: NodeJS.ReadWriteStream[] = [];
  const unzip = decompressor(sniff(head));
  if (unzip) stages.push(unzip);
  await pipeline(createReadStream(imageFile), ...stages, parser as unknown as NodeJS.WritableStream);
  if (text === undefined) throw new VzError('invalid-config', `image ${imageFile} holds no config.json: pack a bundle directory (rootfs/ + config.json)`);
  return parseConfig(text).raw;
}

/** The deploy's env over the image's: same names replaced, new ones appended, order kept. */
export function withEnv(config: Record<string, unknown>, env: Record<string, string>): Record<string, unknown> {
  const proc = { ...(config.process as Record<string, unknown>) };
  const current = ((proc.env as string[] | undefined) ?? []).filter((entry) => !(entry.slice(0, entry.indexOf('=')) in env));
  proc.env = [...current, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
  return { ...config, process: proc };
}

/** The manifest's rlimits (`nofile=65536`, vzimage bundle --rlimit's grammar) over the image's: a type given replaces it. */
export function withRlimitTexts(config: Record<string, unknown>, texts: string[]): Record<string, unknown> {
  if (texts.length === 0) return config;
  const proc = { ...(config.process as Record<string, unknown>) };
  proc.rlimits = withRlimits(proc.rlimits as Rlimit[] | undefined, texts.map((text, i) => parseRlimit(text, `rlimits[${i}]`)));
  return { ...config, process: proc };
}
