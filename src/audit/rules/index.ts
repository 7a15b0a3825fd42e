// Every rule, in report order. Ids are stable: a rule may be retired, but its id is never reused.

import type { Rule } from '../types.js';
import { composeFileAmbiguous, envFileMissing } from './compose-files.js';
import { databaseHealthcheckMissing } from './database-healthcheck.js';
import { databasePasswordMismatch } from './database-password-mismatch.js';
import { dockerSocketMounted } from './docker-socket-mounted.js';
import { envVarAndFileSet } from './env-var-and-file-set.js';
import { hostIpc, hostNetwork, hostPid, hostUserns, hostUts } from './host-namespace.js';
import { idUnsupported } from './id-unsupported.js';
import { imageLatestTag } from './image-latest-tag.js';
import { capabilitiesNotDropped, capabilityBeyondNeed, databaseNetworkNotInternal, databaseRootRemote, logRotationMissing, pidsLimitMissing } from './least-privilege.js';
import { initUnknownAction, initWithoutUpdate } from './init-actions.js';
import { optionsFileIgnored, optionsInvalid, optionsUnknownKey } from './options-keys.js';
import { optionsFileOwner } from './options-file-owner.js';
import { passwordInEnvironment } from './password-in-environment.js';
import { databasePortPublished, portAllInterfaces } from './ports.js';
import { privileged } from './privileged.js';
import { runsAsRoot } from './runs-as-root.js';
import { secretFileOwner } from './secret-file-owner.js';
import { secretFileReadable } from './secret-file-readable.js';
import { secretsDirMode } from './secrets-dir-mode.js';
import { apparmorUnconfined, noNewPrivileges, seccompUnconfined } from './security-opt.js';
import { sensitiveHostMount } from './sensitive-host-mount.js';
import { storageOwner } from './storage-owner.js';
import { transcodingDeviceGroup, transcodingDeviceMissing } from './transcoding.js';
import { uidGidIncomplete } from './uid-gid-incomplete.js';
import { uidHostAccount } from './uid-host-account.js';
import { userAndPhotoprismUid } from './user-and-photoprism-uid.js';

/** From PhotoPrism's Docker security guide (and the facts behind it). */
export const GUIDE_RULES: readonly Rule[] = [
  passwordInEnvironment,
  envVarAndFileSet,
  runsAsRoot,
  uidGidIncomplete,
  uidHostAccount,
  idUnsupported,
  userAndPhotoprismUid,
  initWithoutUpdate,
  initUnknownAction,
  secretFileReadable,
  secretFileOwner,
  secretsDirMode,
  optionsFileOwner,
  storageOwner,
  databasePasswordMismatch,
  transcodingDeviceMissing,
  transcodingDeviceGroup,
  optionsUnknownKey,
  optionsInvalid,
  optionsFileIgnored,
];

/** Compose hardening (KICS / CIS Docker Benchmark where they match). */
export const HARDENING_RULES: readonly Rule[] = [
  privileged,
  dockerSocketMounted,
  hostNetwork,
  hostPid,
  hostIpc,
  hostUserns,
  hostUts,
  sensitiveHostMount,
  seccompUnconfined,
  apparmorUnconfined,
  noNewPrivileges,
  capabilitiesNotDropped,
  capabilityBeyondNeed,
  databasePortPublished,
  databaseNetworkNotInternal,
  databaseRootRemote,
  portAllInterfaces,
  databaseHealthcheckMissing,
  pidsLimitMissing,
  logRotationMissing,
  imageLatestTag,
  composeFileAmbiguous,
  envFileMissing,
];

export const RULES: readonly Rule[] = [...GUIDE_RULES, ...HARDENING_RULES];

/** The README's rule table (kept derived from the rules by test/audit-readme.test.ts). */
export function rulesMarkdown(rules: readonly Rule[]): string {
  const refs = (r: Rule) => [r.kics ? `KICS "${r.kics}"` : '', r.cis ? `CIS ${r.cis}` : ''].filter(Boolean).join(', ');
  return ['| id | severity | what it finds | KICS / CIS |', '|---|---|---|---|', ...rules.map((r) => `| \`${r.id}\` | ${r.severity} | ${r.title} | ${refs(r)} |`)].join('\n');
}
