// One model of the installation, derived from the answers: who owns what, what is mounted where,
// which port is published, which devices are needed, the non-secret environment and the secrets.
// The Swarm and Kubernetes targets render from it; the compose target keeps its own plan (plan.ts),
// which this model mirrors fact for fact (owners and folders are taken from that plan).

import { ADMIN_SECRET_FILE, CONTAINER_PORT, DB_NAME, DB_SERVICE, DB_USER, SECRET_FILES, transcodingDevice } from '../domain.js';
import { hostOwner } from '../idmap.js';
import type { Owner, PlanInput } from '../plan.js';
import type { Answers, SecretKey } from '../questions.js';

export interface ModelMount {
  name: 'originals' | 'import' | 'storage' | 'database';
  service: 'photoprism' | 'mariadb';
  /** host path (absolute) for bind mounts */
  hostPath: string;
  containerPath: string;
}

export interface ModelSecret {
  key: SecretKey;
  /** file in the installation folder holding the value (0600) */
  file: string;
  /** short name: the file's name in /run/secrets (Swarm) or the key in the Kubernetes Secret */
  name: 'admin_pwd' | 'db_pwd' | 'db_root_pwd';
  /** services that read it, with the variable that names the file */
  readers: { service: 'photoprism' | 'mariadb'; env: string }[];
  value: string;
}

export interface InstallationModel {
  answers: Answers;
  owners: {
    /** the PhotoPrism user inside the container */
    container: Owner;
    /** the PhotoPrism user on the host (differs under a user namespace) */
    photoprism: Owner;
    /** container root on the host; null: whoever runs the tool */
    root: Owner | null;
  };
  mounts: ModelMount[];
  port: { container: number; host: number; loopbackOnly: boolean };
  /** device nodes PhotoPrism needs for hardware transcoding (host path = container path) */
  devices: string[];
  nvidia: boolean;
  /** non-secret PhotoPrism settings by PHOTOPRISM_* variable (what options.yml holds for compose) */
  photoprismEnv: Record<string, string>;
  mariadbEnv: Record<string, string>;
  mariadbCommand: string[];
  secrets: ModelSecret[];
  database: { service: string; name: string; user: string; server: string };
}

export const MARIADB_COMMAND = [
  '--innodb-buffer-pool-size=512M',
  '--transaction-isolation=READ-COMMITTED',
  '--character-set-server=utf8mb4',
  '--collation-server=utf8mb4_unicode_ci',
  '--max-connections=512',
  '--innodb-rollback-on-timeout=OFF',
  '--innodb-lock-wait-timeout=120',
];

export function installationModel(input: PlanInput): InstallationModel {
  const a = input.answers;
  const mapping = input.idMapping ?? null;
  const container: Owner = { uid: a.uid, gid: a.gid };
  const photoprism = hostOwner(mapping, container) ?? container;
  const root = mapping ? hostOwner(mapping, { uid: 0, gid: 0 }) : null;
  const dir = input.state.dir;
  const mounts: ModelMount[] = [
    { name: 'originals', service: 'photoprism', hostPath: input.hostPaths.originals, containerPath: '/photoprism/originals' },
    ...(input.hostPaths.import ? [{ name: 'import' as const, service: 'photoprism' as const, hostPath: input.hostPaths.import, containerPath: '/photoprism/import' }] : []),
    { name: 'storage', service: 'photoprism', hostPath: `${dir}/storage`, containerPath: '/photoprism/storage' },
    { name: 'database', service: 'mariadb', hostPath: `${dir}/database`, containerPath: '/var/lib/mysql' },
  ];
  const dev = transcodingDevice(a.transcoding);
  const devices = dev === 'dri' ? ['/dev/dri'] : dev === 'video11' ? ['/dev/video11'] : [];
  const server = `${DB_SERVICE}:3306`;
  const photoprismEnv: Record<string, string> = {
    PHOTOPRISM_AUTH_MODE: 'password',
    PHOTOPRISM_ADMIN_USER: a.adminUser,
    PHOTOPRISM_SITE_URL: a.siteUrl,
    PHOTOPRISM_DATABASE_DRIVER: 'mysql',
    PHOTOPRISM_DATABASE_SERVER: server,
    PHOTOPRISM_DATABASE_NAME: DB_NAME,
    PHOTOPRISM_DATABASE_USER: DB_USER,
    PHOTOPRISM_FFMPEG_ENCODER: a.transcoding,
  };
  return {
    answers: a,
    owners: { container, photoprism, root },
    mounts,
    port: { container: CONTAINER_PORT, host: a.httpPort, loopbackOnly: a.behindProxy },
    devices,
    nvidia: dev === 'nvidia',
    photoprismEnv,
    mariadbEnv: {
      MARIADB_AUTO_UPGRADE: '1',
      MARIADB_INITDB_SKIP_TZINFO: '1',
      MARIADB_DATABASE: DB_NAME,
      MARIADB_USER: DB_USER,
    },
    mariadbCommand: MARIADB_COMMAND,
    secrets: [
      { key: 'adminPassword', file: ADMIN_SECRET_FILE, name: 'admin_pwd', readers: [{ service: 'photoprism', env: 'PHOTOPRISM_ADMIN_PASSWORD_FILE' }], value: a.adminPassword },
      {
        key: 'databasePassword',
        file: SECRET_FILES.dbPassword,
        name: 'db_pwd',
        readers: [
          { service: 'photoprism', env: 'PHOTOPRISM_DATABASE_PASSWORD_FILE' },
          { service: 'mariadb', env: 'MARIADB_PASSWORD_FILE' },
        ],
        value: a.databasePassword,
      },
      { key: 'databaseRootPassword', file: SECRET_FILES.dbRootPassword, name: 'db_root_pwd', readers: [{ service: 'mariadb', env: 'MARIADB_ROOT_PASSWORD_FILE' }], value: a.databaseRootPassword },
    ],
    database: { service: DB_SERVICE, name: DB_NAME, user: DB_USER, server },
  };
}
