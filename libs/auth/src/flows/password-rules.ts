import { HttpStatus } from '@nestjs/common';

import { ProblemException } from '@codexflow/core';

import type { PasswordPolicy } from '../passwords/password-policy.js';

/** Throws a 400 naming `field` for every policy rule the password breaks. */
export function assertAcceptablePassword(
  policy: PasswordPolicy,
  field: string,
  password: string,
  email: string,
): void {
  const problems = policy.check(password, email);
  if (problems.length > 0) {
    throw new ProblemException(
      HttpStatus.BAD_REQUEST,
      problems.join('; '),
      'about:blank',
      problems.map((message) => ({ field, message: message.replace(/^password/, field) })),
    );
  }
}
