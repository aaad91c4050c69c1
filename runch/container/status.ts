import { VzError } from '../../base/errors.ts';

/** The runtime-spec lifecycle; the named checks say which verb each status allows. */
export type Status = 'creating' | 'created' | 'running' | 'stopped';

export const canStart = (status: Status): boolean => status === 'created';
export const canKill = (status: Status): boolean => status === 'created' || status === 'running';
export const canDelete = (status: Status): boolean => status === 'stopped';

const refusals: Record<string, Partial<Record<Status, string>>> = {
  start: {
    running: 'cannot start a container that is already running',
    stopped: 'cannot start a container that has stopped: delete it and create it again',
    creating: 'cannot start a container that is still being created',
  },
  kill: {
    stopped: 'cannot kill a container that has stopped: it is not running (delete it with "runch delete")',
    creating: 'cannot kill a container that is still being created',
  },
  delete: {
    created: 'cannot delete a container that is created but not stopped: use --force',
    running: 'cannot delete a running container: stop it first (runch kill) or use --force',
    creating: 'cannot delete a container that is still being created: use --force',
  },
};

/** One error for every invalid transition, worded per status as runc does. */
export function refuse(verb: 'start' | 'kill' | 'delete', id: string, status: Status): never {
  const reason = refusals[verb][status] ?? `cannot ${verb} a container in status ${status}`;
  throw new VzError('bad-state', `container "${id}": ${reason}`);
}
