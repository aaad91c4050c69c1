import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { VzError } from '../../base/errors.ts';
import { parseRlimit } from '../../runch/oci/rlimit-text.ts';
import { COMPRESSIONS } from '../compression.ts';

const absolute = z
  .string()
  .regex(/^\//, "must be an absolute path inside the image, e.g. /etc/app.conf")
  .refine((p) => !p.split("/").includes(".."), "must not hold a .. component");
const command = z.array(z.string()).min(1, 'must name a program, e.g. [sh, -c, "echo hi"]');
const rlimit = z.string().superRefine((text, ctx) => {
  try {
    parseRlimit(text, 'rlimit');
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message.replace(/^rlimit /, '') });
  }
});

/** Where the rootfs comes from; a recipe lists one or more, applied in order (a later one's files win). */
const sourceSchema = z.union([
  z.strictObject({
    debian: z.strictObject({
      packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]+(:[a-z0-9]+)?(=[^\s]+)?$/, 'must be a Debian package name, e.g. nginx-light')).min(1, 'must list at least one package'),
      recommends: z.boolean().default(false),
    }),
  }),
  z.strictObject({ dir: z.string().min(1, 'must be a directory path (relative to the recipe)') }),
  z.strictObject({ docker: z.string().min(1, 'must be a `docker export` tarball path (relative to the recipe)') }),
  z.strictObject({ image: z.string().min(1, 'must be a `docker save` or OCI image-layout tarball path (relative to the recipe)') }),
  z.strictObject({ ldd: z.array(z.string()).min(1, 'must list programs of this machine, e.g. [/bin/ls]') }),
  z.strictObject({ strace: command }),
]);

const fileSchema = z
  .strictObject({
    src: z.string().optional(),
    content: z.string().optional(),
    dest: absolute,
    mode: z.string().regex(/^0?[0-7]{3,4}$/, 'must be an octal mode in quotes, e.g. "0644"').optional(),
    uid: z.number().int().min(0).default(0),
    gid: z.number().int().min(0).default(0),
  })
  .refine((f) => (f.src === undefined) !== (f.content === undefined), { message: 'needs exactly one of src (a file or directory beside the recipe) or content (the text)' });

export const recipeSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be a lowercase app name, e.g. web'),
  from: z.array(sourceSchema).min(1, 'must list at least one source: debian, dir, docker, image, ldd or strace'),
  files: z.array(fileSchema).default([]),
  run: z.array(command).default([]),
  trim: z
    .strictObject({
      docs: z.boolean().default(false),
      man: z.boolean().default(false),
      locales: z.boolean().default(false),
      paths: z.array(absolute).default([]),
      trace: command.optional(),
    })
    .default({ docs: false, man: false, locales: false, paths: [] }),
  process: z.strictObject({
    args: command,
    env: z.array(z.string().regex(/^[^=]+=/, 'must be KEY=VALUE')).default([]),
    user: z.string().regex(/^\d+:\d+$/, 'must be UID:GID, e.g. 1000:1000').optional(),
    cwd: absolute.default('/'),
    rlimits: z.array(rlimit).default([]),
  }),
  ports: z.array(z.string().regex(/^\d{1,5}(\/(tcp|udp))?$/, 'must be PORT or PORT/tcp|udp, e.g. 8080/tcp')).default([]),
  epoch: z.number().int().min(0).optional(),
  compression: z.enum(COMPRESSIONS).default('gzip'),
});

export type Recipe = z.infer<typeof recipeSchema>;
export type Source = Recipe['from'][number];

/** One line naming the field and what to write there. */
function firstIssue(path: string, error: z.ZodError): VzError {
  const issue = error.issues[0];
  const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(top)';
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}: remove it (see docs/image.md for the recipe's fields)`;
  if (issue.code === 'invalid_union') message = 'must be one of {debian: {packages: [...]}}, {dir: PATH}, {docker: EXPORT.tar}, {image: SAVE.tar}, {ldd: [PROG...]}, {strace: [CMD...]}';
  return new VzError('invalid-config', `recipe ${path}: ${where}: ${message}`);
}

/** A recipe file: YAML, checked by the schema; relative paths are made relative to the recipe's own directory. */
export function loadRecipe(path: string): { recipe: Recipe; text: string; base: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new VzError('not-found', `cannot read the recipe ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new VzError('invalid-config', `recipe ${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const checked = recipeSchema.safeParse(data);
  if (!checked.success) throw firstIssue(path, checked.error);
  return { recipe: checked.data, text, base: dirname(resolve(path)) };
}
