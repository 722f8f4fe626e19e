import { Injectable } from '@nestjs/common';

import { permissionsForRole } from '@codexflow/access';
import type { User } from '@codexflow/users';

import type { Session } from '../schemas/session.schema.js';
import { TokenSigner } from '../tokens/token-signer.js';

/** The token set returned by login, refresh and invitation acceptance. */
export interface TokenSet {
  accessToken: string;
  idToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
}

@Injectable()
export class TokenIssuer {
  constructor(private readonly signer: TokenSigner) {}

  /** Signs access and ID tokens for the user's current role, so role changes apply at the next refresh. */
  issue(user: User, session: Session, refreshToken: string): TokenSet {
    const access = this.signer.signAccessToken({
      sub: user.publicId,
      sid: session.publicId,
      role: user.role,
      permissions: permissionsForRole(user.role),
      amr: session.amr,
    });
    const idToken = this.signer.signIdToken({
      sub: user.publicId,
      email: user.email,
      email_verified: user.emailVerified,
      name: user.name,
    });

    return {
      accessToken: access.token,
      idToken,
      refreshToken,
      expiresIn: access.expiresIn,
      tokenType: 'Bearer',
    };
  }
}
