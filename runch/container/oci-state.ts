import type { ContainerState } from '../state/store.ts';

/** The runtime-spec state document (what `runch state` prints and hooks read on stdin), plus runc's extras. */
export function ociState(state: ContainerState) {
  return {
    ociVersion: state.ociVersion,
    id: state.id,
    status: state.status,
    pid: state.status === 'stopped' ? 0 : state.pid,
    bundle: state.bundle,
    rootfs: state.rootfs,
    created: state.created,
    annotations: state.annotations,
  };
}
