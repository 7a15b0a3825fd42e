// Small helpers the Swarm and Kubernetes plans share: a planned file's status and metadata check,
// judged from the state read before planning (as plan.ts does for the compose target).

import type { Owner, PlannedFile } from '../plan.js';
import type { TargetState } from '../state.js';

export function fileStatus(state: TargetState, rel: string, content: string): PlannedFile['status'] {
  const old = state.contents[rel];
  if (old === undefined) return state.paths[rel]?.exists ? 'update' : 'create';
  return old === content ? 'unchanged' : 'update';
}

export function metaOk(state: TargetState, rel: string, mode: number, owner: Owner | null): boolean {
  const info = state.paths[rel];
  if (!info || !info.exists) return false;
  if ((info.mode & 0o7777) !== mode) return false;
  return !owner || (info.uid === owner.uid && info.gid === owner.gid);
}

/** A planned file with its status and metadata check filled in. */
export function plannedFile(state: TargetState, f: Omit<PlannedFile, 'status' | 'metaOk'> & { replaceSecrets?: boolean }): PlannedFile {
  const { replaceSecrets, ...rest } = f;
  const status = fileStatus(state, f.path, f.content);
  return {
    ...rest,
    status,
    metaOk: metaOk(state, f.path, f.mode, f.owner),
    ...(f.secret === 'whole' ? { replace: status === 'update' && replaceSecrets === true } : {}),
  };
}

/** A secret file's content: an existing file that holds the value with a trailing newline is kept byte for byte. */
export function secretContent(state: TargetState, rel: string, value: string): string {
  const old = state.contents[rel];
  return old !== undefined && old.replace(/\n+$/, '') === value ? old : value;
}
