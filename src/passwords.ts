// Password generation with node:crypto. The alphabet is letters and digits only: nothing that YAML,
// SQL, a shell or Compose interpolation ($) treats specially, so a generated password never needs quoting.

import { randomInt } from 'node:crypto';

export const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** Length of generated passwords: DB passwords >= 32 characters; admin within PhotoPrism's 8-72. */
export const GENERATED_LENGTH = { admin: 24, database: 40 } as const;

/** A uniformly random password (randomInt is unbiased) of `length` characters. */
export function generatePassword(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return out;
}
