import writeFileAtomic from 'write-file-atomic';

/** Why: a crash or a full disk mid-write must leave the previous file intact (temp file + fsync + rename). */
export async function writeAtomic(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
  await writeFileAtomic(path, data, { mode, fsync: true });
}

export function writeAtomicSync(path: string, data: string | Buffer, mode = 0o644): void {
  writeFileAtomic.sync(path, data, { mode, fsync: true });
}
