import { closeSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { VzError } from '../base/errors.ts';

/** One file of init's configuration to write (after) or remove (after undefined). */
export interface FileChange {
  path: string;
  after?: string;
  mode: number;
}

interface Step {
  change: FileChange;
  /** The new content, beside its target (same file system: the rename cannot fail for space). */
  temp?: string;
  /** The previous file, kept by a hard link (no data copied, so no space needed) until the commit is final. */
  backup?: string;
  renamed: boolean;
}

/** A set of file changes staged together: every file is in place, or none is (issue 11: a disk that fills midway). */
export interface Staged {
  steps: Step[];
}

let sequence = 0;
const sideName = (path: string, tag: string) => join(dirname(path), `.${basename(path)}.${process.pid}.${sequence++}.${tag}`);

function writeTemp(path: string, text: string, mode: number): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'wx', mode);
    const buffer = Buffer.from(text);
    let written = 0;
    while (written < buffer.length) written += writeSync(fd, buffer, written, buffer.length - written);
    fsyncSync(fd);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const reason = (error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' ? 'no space left on the device' : code === 'EDQUOT' ? 'disk quota exceeded' : code === 'EROFS' ? 'read-only file system' : (error as Error).message;
};

/**
 * Write every new file beside its target and link every file to be replaced or removed, before any target changes.
 * On any failure, everything staged so far is removed and the error says nothing was changed.
 */
export function stageChanges(changes: FileChange[]): Staged {
  const staged: Staged = { steps: [] };
  try {
    for (const change of changes) {
      const step: Step = { change, renamed: false };
      staged.steps.push(step);
      if (change.after !== undefined) {
        step.temp = sideName(change.path, 'stage');
        writeTemp(step.temp, change.after, change.mode);
      }
      try {
        const backup = sideName(change.path, 'old');
        linkSync(change.path, backup);
        step.backup = backup;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  } catch (error) {
    discard(staged);
    throw new VzError('system', `cannot write init's configuration (${reason(error)}): nothing was changed; free some space and apply again`, { cause: error });
  }
  return staged;
}

function discard(staged: Staged): void {
  for (const step of staged.steps) {
    if (step.temp) rmSync(step.temp, { force: true });
    if (step.backup) rmSync(step.backup, { force: true });
  }
}

/** Put every staged file in place (renames only); a failed rename puts back the ones already done. */
export function commitStaged(staged: Staged): void {
  try {
    for (const step of staged.steps) {
      if (step.temp) renameSync(step.temp, step.change.path);
      else rmSync(step.change.path, { force: true });
      step.renamed = true;
    }
  } catch (error) {
    rollbackStaged(staged);
    throw new VzError('system', `cannot put init's configuration in place (${reason(error)}): the previous files were put back`, { cause: error });
  }
}

/** Undo a commit (or a part of one): each target as it was before, then nothing staged left over. */
export function rollbackStaged(staged: Staged): void {
  for (const step of [...staged.steps].reverse()) {
    if (!step.renamed) continue;
    if (step.backup) renameSync(step.backup, step.change.path);
    else rmSync(step.change.path, { force: true });
    step.backup = undefined;
    step.renamed = false;
  }
  discard(staged);
}

/** The commit holds (init took it): the kept previous files go. */
export function finishStaged(staged: Staged): void {
  discard(staged);
}
