// What to tell a user whose secret file is gone while the database folder is initialised: MariaDB read
// its passwords once, when it created the database, so a new secret file would lock PhotoPrism out.
// Shared wording: `init` (which refuses such a run) and `rotate` both use these functions.

import { SECRET_FILES } from '../domain.js';

/** MariaDB's documented way back in when the root password itself is lost. */
export const MARIADB_RESET_URL = 'https://mariadb.com/kb/en/resetting-the-root-password/';

export type LostSecret = 'databasePassword' | 'databaseRootPassword';

/**
 * Advice lines for a lost secret beside an initialised database. `rootKnown`: the root password file is
 * still there (rotate can then set a new user password in the running database).
 */
export function lostSecretAdvice(lost: LostSecret, rootKnown: boolean, dir = '.'): string[] {
  const cd = dir === '.' ? '' : ` --dir ${dir}`;
  if (lost === 'databasePassword' && rootKnown) {
    return [
      `${SECRET_FILES.dbPassword} is missing, but the database in database/ was created with a password for the PhotoPrism user.`,
      `With the root password in ${SECRET_FILES.dbRootPassword}, set a new one in the running database and in every file that needs it:`,
      `  photoprism-harden rotate --database${cd} --start`,
      '(it writes the new password only after MariaDB has accepted it, and checks that PhotoPrism can log in).',
    ];
  }
  return [
    `${lost === 'databaseRootPassword' ? SECRET_FILES.dbRootPassword : `${SECRET_FILES.dbPassword} and ${SECRET_FILES.dbRootPassword}`} ${lost === 'databaseRootPassword' ? 'is' : 'are'} missing, but the database in database/ is initialised: MariaDB read the root password when it created it and ignores the file afterwards.`,
    `Without the root password no tool can change a password inside the database. Follow MariaDB's reset procedure (${MARIADB_RESET_URL}):`,
    '  stop the mariadb service, start it once with --skip-grant-tables, run FLUSH PRIVILEGES and ALTER USER for root, then start it normally;',
    `write the same password to ${SECRET_FILES.dbRootPassword} (one line, mode 0600), then run`,
    `  photoprism-harden rotate --database${cd}`,
    'to give the PhotoPrism user a new password as well.',
  ];
}
