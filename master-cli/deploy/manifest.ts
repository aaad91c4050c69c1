import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { VzError } from '../../base/errors.ts';
import { VOLUME_NAME, VOLUME_PATH } from '../../base/host-contract.ts';
import { restartPolicyText } from '../../base/restart-policy.ts';
import { parseRlimit } from '../../runch/oci/rlimit-text.ts';
import { recipePath } from './build.ts';

/**
 * The deploy manifest: one YAML (or JSON) file per app, in the habits of Kamal's deploy.yml and pm2's ecosystem
 * file. Example:
 *
 *     app: hello
 *     image: ./hello.tar.gz        # a packed image (vzimage pack), or
 *     bundle: ./hello              # a bundle directory, packed on the fly, or
 *     build: ./hello.vz.yml        # a vzimage recipe, built when its inputs changed (inside this file's directory)
 *     replicas: 2
 *     spread: vendor_              # inventory groups starting with this prefix are vendors
 *     env: { GREETING: "hi there" }
 *     restart: on-failure:5        # no | on-failure[:max] | always | unless-stopped
 *     schedule: "0 3 * * *"        # optional: a cron entry instead of a long-running one
 *     rolling: { batch: 1, minUptime: 3, timeout: 60, check: ["/bin/sh", "-c", "test -e /run/ready"] }
 *     health: { tcp: 6379 }        # or { http: { port: 80, path: /, status: 200 } }: probed on the host's address
 *     volumes: { data: /var/lib/redis }   # a directory on the host, kept across versions, mounted there
 *     rlimits: [nofile=65536]      # vzimage bundle --rlimit's grammar
 */
const APP_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const duration = z.number().positive();

export const manifestSchema = z
  .object({
    app: z.string().regex(APP_NAME, { message: 'must be 1-32 lower-case letters, digits, "_" or "-", starting with a letter or digit' }),
    image: z.string().min(1).optional(),
    bundle: z.string().min(1).optional(),
    build: z.string().min(1).optional(),
    replicas: z.number().int().min(0).max(100).default(1),
    spread: z.string().default('vendor_'),
    env: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'env names are letters, digits and "_"' }),
        // execve ends a value at its first NUL: the process would see a shorter value than the manifest says.
        z.union([z.string(), z.number(), z.boolean()]).transform(String).refine((v) => !v.includes('\0'), { message: 'holds a NUL character, which cannot reach a process (execve ends the value there): remove it' }),
      )
      .default({}),
    volumes: z
      .record(
        z.string().regex(VOLUME_NAME, { message: 'volume names are 1-64 of a-z, 0-9, "_" and "-"' }),
        z.string().regex(VOLUME_PATH, { message: 'must be an absolute path inside the container (not "/"), without ".." or control characters' }),
      )
      .default({}),
    health: z
      .object({
        tcp: z.number().int().min(1).max(65535).optional(),
        http: z.object({ port: z.number().int().min(1).max(65535), path: z.string().startsWith('/', { message: 'path starts with "/"' }).default('/'), status: z.number().int().min(100).max(599).default(200) }).strict().optional(),
      })
      .strict()
      .default({}),
    rlimits: z
      .array(z.string())
      .default([])
      .superRefine((texts, ctx) => {
        texts.forEach((text, i) => {
          try {
            parseRlimit(text, `rlimits[${i}]`);
          } catch (error) {
            ctx.addIssue({ code: 'custom', path: [i], message: (error as Error).message.replace(/^rlimits\[\d+\] /, '') });
          }
        });
      }),
    restart: restartPolicyText.default('always'),
    schedule: z.string().min(9).optional(),
    rolling: z
      .object({
        batch: z.number().int().min(1).default(1),
        minUptime: duration.default(3),
        timeout: duration.default(60),
        check: z.array(z.string()).min(1).optional(),
      })
      .strict()
      .default({ batch: 1, minUptime: 3, timeout: 60 }),
  })
  .strict()
  .refine((m) => [m.image, m.build, m.bundle].filter(Boolean).length === 1, { message: 'give exactly one of image (a packed image), build (a vzimage recipe) or bundle (a bundle directory)', path: ['image'] });

export type Manifest = z.infer<typeof manifestSchema>;

/** Read and validate a manifest; paths in it are relative to the manifest's own directory. */
export function loadManifest(path: string): Manifest & { baseDir: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new VzError('not-found', `manifest ${path} cannot be read: check the path`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new VzError('invalid-config', `manifest ${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('') || '(top level)';
    // A record's bad key: zod's own words are "Invalid key in record"; the key's rule says more.
    const inner = (issue as { issues?: { message: string }[] }).issues?.[0]?.message;
    throw new VzError('invalid-config', `manifest ${path}: ${field}: ${issue.code === 'invalid_key' && inner ? inner : issue.message}; fix it in the manifest`);
  }
  const baseDir = dirname(resolve(path));
  const m = parsed.data;
  return {
    ...m,
    image: m.image ? resolve(baseDir, m.image) : undefined,
    bundle: m.bundle ? resolve(baseDir, m.bundle) : undefined,
    build: m.build ? recipePath(baseDir, m.build) : undefined,
    baseDir,
  };
}
