import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { VzError } from '../base/errors.ts';

/** The manifest written beside each image (`<sha256>.json`): what it is, when made, how to check and read it. */
export const manifestSchema = z.object({
  schemaVersion: z.literal(1),
  app: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, { message: 'must be a name of letters, digits, _ . - (at most 128)' }),
  created: z.iso.datetime(),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, { message: 'must be sha256: and 64 hex digits' }),
  compression: z.enum(['gzip', 'zstd', 'none']),
  size: z.number().int().min(0),
  file: z.string().min(1),
});

export type Manifest = z.infer<typeof manifestSchema>;

export function parseManifest(text: string, source: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new VzError('invalid-config', `manifest ${source} is not JSON: pack the image again`);
  }
  const result = manifestSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new VzError('invalid-config', `manifest ${source}: ${issue.path.join('.') || 'the document'} ${issue.message}`);
  }
  return result.data;
}

export function readManifest(path: string): Manifest {
  return parseManifest(readFileSync(path, 'utf8'), path);
}
