import type { Principal } from '@codexflow/access';

import type { User } from './user.schema.js';

/**
 * Account steps that the users routes start but the auth module carries out
 * (sessions, one-time tokens, mail). The auth module provides it globally, so
 * this library needs no import of auth.
 */
export abstract class AccountLifecycle {
  /** Ends every session of the user, except `keepSessionId` when given. */
  abstract revokeSessions(userId: string, keepSessionId?: string): Promise<void>;

  /** Mails an invitation link to a newly invited user. */
  abstract sendInvitation(user: User): Promise<void>;

  /** Rejects with 403 unless a caller with MFA sent a valid fresh code. */
  abstract requireStepUp(actor: Principal, mfaCode: string | undefined): Promise<void>;

  /** Checks a password against the user's stored hash. */
  abstract verifyPassword(userId: string, password: string): Promise<boolean>;

  /** Mails a verification link to `newEmail`; the address changes once it is followed. */
  abstract startEmailChange(user: User, newEmail: string): Promise<void>;
}
