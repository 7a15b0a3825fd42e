// Facts about PhotoPrism, MariaDB and Compose that the generator must respect.
// Sources: ../shared/reference/photoprism.md (PhotoPrism entrypoint, scripts/dist/Makefile,
// create-users.sh, MariaDB docker-entrypoint.sh) and the Docker security guide.

/**
 * The value of a secret file as MariaDB (and the audit, and this tool) reads it: trailing newlines
 * are not part of the password (the MariaDB entrypoint strips them from *_FILE contents).
 */
export function secretFileValue(content: string): string {
  return content.replace(/\n+$/, '');
}

/** A closed range of ids, inclusive at both ends. */
export type IdRange = readonly [number, number];

/** UIDs the PhotoPrism image supports (documented list; accounts pre-created in the image). */
export const SUPPORTED_UIDS: readonly IdRange[] = [
  [0, 0],
  [33, 33],
  [50, 99],
  [500, 600],
  [900, 1250],
  [2000, 2100],
];

/** GIDs the PhotoPrism image supports: the UID list plus video, davfs2, renderd, render, ssl-cert. */
export const SUPPORTED_GIDS: readonly IdRange[] = [
  [0, 0],
  [33, 33],
  [44, 44],
  [50, 99],
  [105, 105],
  [109, 109],
  [115, 116],
  [500, 600],
  [900, 1250],
  [2000, 2100],
];

/** Groups every pre-created account of the image belongs to (video, davfs2, renderd, render, ssl-cert). */
export const IMAGE_MEMBER_GIDS: ReadonlyMap<number, string> = new Map([
  [44, 'video'],
  [105, 'davfs2'],
  [109, 'renderd'],
  [115, 'render'],
  [116, 'ssl-cert'],
]);

export function inRanges(id: number, ranges: readonly IdRange[]): boolean {
  return ranges.some(([lo, hi]) => id >= lo && id <= hi);
}

export function formatRanges(ranges: readonly IdRange[]): string {
  return ranges.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(', ');
}

export interface InitActionInfo {
  readonly name: string;
  readonly description: string;
}

/**
 * PHOTOPRISM_INIT actions: each word is a make target in the image's /scripts/Makefile, run once per
 * container as root. An unknown word fails silently at container start, so only these are accepted.
 */
export const INIT_ACTIONS: readonly InitActionInfo[] = [
  { name: 'update', description: "install security updates of the image's packages (recommended)" },
  { name: 'https', description: 'self-signed certificate, so PhotoPrism can serve HTTPS itself' },
  { name: 'tensorflow', description: 'TensorFlow build matching this CPU (AVX/AVX2): faster AI' },
  { name: 'gpu', description: 'GPU drivers for the detected vendor (amd64 only)' },
  { name: 'intel', description: 'Intel media/OpenCL/Quick Sync packages (Intel transcoding)' },
  { name: 'ffmpeg', description: 'static FFmpeg 7 (software only; not with hardware encoders)' },
  { name: 'darktable', description: 'latest Darktable for RAW conversion' },
  { name: 'davfs', description: 'davfs2, to mount WebDAV shares in the container' },
  { name: 'clitools', description: 'command-line tools for troubleshooting' },
  { name: 'mariadb', description: 'MariaDB client tools (database backups from the container)' },
  { name: 'clean', description: 'remove package caches (needs no network access)' },
];

export const INIT_ACTION_NAMES: readonly string[] = INIT_ACTIONS.map((a) => a.name);

export const TRANSCODINGS = ['software', 'intel', 'vaapi', 'nvidia', 'raspberry'] as const;
export type Transcoding = (typeof TRANSCODINGS)[number];

export const TRANSCODING_INFO: Record<Transcoding, { title: string; description: string }> = {
  software: { title: 'Software (CPU)', description: 'no device needed; works everywhere' },
  intel: { title: 'Intel Quick Sync', description: 'needs /dev/dri (Intel iGPU); pairs with the "intel" init action' },
  vaapi: { title: 'VA-API', description: 'needs /dev/dri (Intel or AMD GPU with VA-API drivers)' },
  nvidia: { title: 'NVIDIA NVENC', description: 'needs the NVIDIA Container Toolkit on the host' },
  raspberry: { title: 'Raspberry Pi (V4L2)', description: 'needs /dev/video11 (Raspberry Pi 4 hardware encoder)' },
};

/** The device a transcoding choice needs inside the container, if any. */
export function transcodingDevice(t: Transcoding): 'dri' | 'video11' | 'nvidia' | null {
  switch (t) {
    case 'intel':
    case 'vaapi':
      return 'dri';
    case 'raspberry':
      return 'video11';
    case 'nvidia':
      return 'nvidia';
    default:
      return null;
  }
}

export const USER_MODES = ['photoprism-uid', 'user'] as const;
export type UserMode = (typeof USER_MODES)[number];

/** Explicit risk overrides. Each must be asked for by name; the risk is stated when it is used. */
export const UNSAFE_OVERRIDES = ['root', 'host-account', 'device-group', 'docker-socket-mounted', 'privileged', 'host-network', 'database-port-published', 'sensitive-host-mount'] as const;
export type UnsafeOverride = (typeof UNSAFE_OVERRIDES)[number];

export const UNSAFE_OVERRIDE_RISKS: Record<UnsafeOverride, string> = {
  root: 'PhotoPrism runs as root: after a container escape the process owns the whole host',
  'host-account':
    'the container user shares its numeric id with a person on this host: after a container escape it can read and write that person\'s files',
  'device-group':
    'the chosen GID cannot open the video device, so hardware transcoding will fail and PhotoPrism falls back to software',
  'docker-socket-mounted': 'a service keeps the Docker socket (e.g. Watchtower): whoever takes over that container controls every container and the host',
  privileged: 'a service keeps running privileged: a process escaping it has every device and capability of the host',
  'host-network': "a service keeps the host's network namespace: it can reach every local-only service of the host",
  'sensitive-host-mount': 'a service keeps a sensitive host folder or credential file mounted (e.g. ~/.docker/config.json for Watchtower): a compromise of that service exposes it',
  'database-port-published': 'the database keeps its published port: it can be reached (and its password guessed) from outside the compose network',
};

/** Audit rules whose error-level findings a named override accepts (init's exit code after its audit). */
export const OVERRIDE_OF_RULE: Record<string, UnsafeOverride> = {
  'runs-as-root': 'root',
  'uid-host-account': 'host-account',
  'docker-socket-mounted': 'docker-socket-mounted',
  privileged: 'privileged',
  'host-network': 'host-network',
  'database-port-published': 'database-port-published',
  'sensitive-host-mount': 'sensitive-host-mount',
};

/** Fixed layout of the official compose file (container side). */
export const CONTAINER_PORT = 2342;
export const DB_NAME = 'photoprism';
export const DB_USER = 'photoprism';
export const DB_SERVICE = 'mariadb';
export const SECRET_FILES = {
  dbPassword: '.secrets/db_pwd.txt',
  dbRootPassword: '.secrets/db_root_pwd.txt',
} as const;
/** The admin password's file (Swarm and Kubernetes targets: PhotoPrism reads it via PHOTOPRISM_ADMIN_PASSWORD_FILE) */
export const ADMIN_SECRET_FILE = '.secrets/admin_pwd.txt';
export const OPTIONS_FILE = 'storage/config/options.yml';
export const COMPOSE_FILE = 'docker-compose.yml';

/** Environment presets for passwords (never command-line arguments). */
export const PASSWORD_ENV = {
  adminPassword: 'PHOTOPRISM_HARDEN_ADMIN_PASSWORD',
  databasePassword: 'PHOTOPRISM_HARDEN_DATABASE_PASSWORD',
  databaseRootPassword: 'PHOTOPRISM_HARDEN_DATABASE_ROOT_PASSWORD',
} as const;
