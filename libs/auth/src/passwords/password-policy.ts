import { Injectable } from '@nestjs/common';
import { dictionary } from '@zxcvbn-ts/language-common';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;
/** Rejects passwords such as twelve spaces or `aaaaaaaaaaaa` that no list can hold in every form. */
const MIN_DISTINCT_CHARACTERS = 5;

// The 49,233 most common passwords shipped with @zxcvbn-ts/language-common 4.1.3.
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  dictionary['passwords-common'].map((password) => normalize(password)),
);

/** Checks new passwords against length, e-mail and common-password rules. */
@Injectable()
export class PasswordPolicy {
  /**
   * Returns one message per rule the password breaks, or an empty array when it is
   * acceptable. Lengths are counted in Unicode code points, so one emoji counts as one.
   */
  check(password: string, email?: string): string[] {
    const problems: string[] = [];
    const length = [...password].length;

    if (length < PASSWORD_MIN_LENGTH) {
      problems.push(`password must be at least ${PASSWORD_MIN_LENGTH} characters`);
    }
    if (length > PASSWORD_MAX_LENGTH) {
      problems.push(`password must be at most ${PASSWORD_MAX_LENGTH} characters`);
    }
    if (email !== undefined && matchesEmail(password, email)) {
      problems.push('password must not be your e-mail address');
    }
    if (COMMON_PASSWORDS.has(normalize(password))) {
      problems.push('password is too common; choose a less predictable one');
    } else if (
      length >= PASSWORD_MIN_LENGTH &&
      new Set(password.trim()).size < MIN_DISTINCT_CHARACTERS
    ) {
      problems.push(
        `password must contain at least ${MIN_DISTINCT_CHARACTERS} different characters besides spaces at its ends`,
      );
    }

    return problems;
  }
}

function normalize(value: string): string {
  return value.trim().toLowerCase();
}

/** Returns whether the password is the e-mail address or its local part, ignoring case. */
function matchesEmail(password: string, email: string): boolean {
  const candidate = normalize(password);
  const address = normalize(email);
  const localPart = address.slice(0, address.lastIndexOf('@'));

  return candidate === address || (localPart.length > 0 && candidate === localPart);
}
