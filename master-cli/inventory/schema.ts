import { z } from 'zod';

/** Why this shape: an inventory is hosts with an address and the (vendor) groups they belong to. */
export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type Scalar = z.infer<typeof scalar>;

export const inventoryHostSchema = z.object({
  name: z.string().regex(HOST_NAME),
  address: z.string().min(1),
  port: z.number().int().min(1).max(65535).optional(),
  groups: z.array(z.string().regex(GROUP_NAME)),
  vars: z.record(z.string(), z.unknown()),
});
export type InventoryHost = z.infer<typeof inventoryHostSchema>;

export interface Inventory {
  path: string;
  format: 'ini' | 'yaml';
  hosts: InventoryHost[];
}

/** The YAML inventory format (ansible's `yaml` plugin): groups with hosts, vars and children, recursively. */
export interface YamlGroup {
  hosts?: Record<string, Record<string, unknown> | null> | null;
  vars?: Record<string, unknown> | null;
  children?: Record<string, YamlGroup | null> | null;
}
export const yamlGroupSchema: z.ZodType<YamlGroup> = z.lazy(() =>
  z
    .object({
      hosts: z.record(z.string(), z.record(z.string(), z.unknown()).nullable()).nullable().optional(),
      vars: z.record(z.string(), z.unknown()).nullable().optional(),
      children: z.record(z.string(), yamlGroupSchema.nullable()).nullable().optional(),
    })
    .strict(),
);
export const yamlInventorySchema = z.record(z.string(), yamlGroupSchema.nullable());
