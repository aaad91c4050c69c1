// The policy table lives in base/policy-table.ts: the master (vzmaster deploy) refuses from it too, and master-cli
// may not import inittab-gen. Re-exported here so the host side keeps its one import path.
export * from '../base/policy-table.ts';
