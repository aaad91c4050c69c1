import { z } from 'zod';

/** vzmaster's own config (vzmaster.json): which inventory, where ansible's state lives, run limits. */
export const configSchema = z
  .object({
    version: z.literal(1),
    inventory: z.string().min(1),
    stateDir: z.string().min(1),
    ansibleConfig: z.string().min(1).optional(),
    forks: z.number().int().min(1).max(200).default(20),
    connectTimeout: z.number().int().min(1).max(300).default(10),
    taskTimeout: z.number().int().min(1).max(3600).default(120),
  })
  .strict();
export type VzConfig = z.infer<typeof configSchema>;
