import { z } from 'zod';

/** Why this shape: an inventory is hosts with an address and the (vendor) groups they belong to. */
export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

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
  hosts: InventoryHost[];
}

/** What `ansible-inventory --list` prints: groups with hosts and children, every host's merged vars in _meta. */
export const inventoryListSchema = z
  .object({
    _meta: z.object({ hostvars: z.record(z.string(), z.record(z.string(), z.unknown())).default({}) }).passthrough().optional(),
  })
  .catchall(z.unknown());
export const listGroupSchema = z
  .object({ hosts: z.array(z.string()).optional(), children: z.array(z.string()).optional() })
  .passthrough();
