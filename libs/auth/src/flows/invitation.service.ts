import { Injectable } from '@nestjs/common';

import { UsersService } from '@codexflow/users';

import { PasswordHasher } from '../passwords/password-hasher.js';
import { PasswordPolicy } from '../passwords/password-policy.js';
import type { ClientContext } from '../sessions/client-context.js';
import type { AcceptInvitationDto } from './auth.dto.js';
import { LoginService } from './login.service.js';
import { OneTimeTokensService } from './one-time-tokens.service.js';
import { assertAcceptablePassword } from './password-rules.js';
import { invalidLink } from './registration.service.js';
import type { TokenSet } from './token-issuer.js';

/** Turns an invited account into an active, verified one with the role the admin chose. */
@Injectable()
export class InvitationService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly tokens: OneTimeTokensService,
    private readonly login: LoginService,
  ) {}

  async accept(acceptance: AcceptInvitationDto, client: ClientContext): Promise<TokenSet> {
    const pending = await this.tokens.peek(acceptance.token, ['invitation']);
    const invited = pending === null ? null : await this.users.findById(pending.userId);
    if (invited?.status !== 'invited') {
      throw invalidLink();
    }
    assertAcceptablePassword(this.policy, 'password', acceptance.password, invited.email);

    const passwordHash = await this.hasher.hash(acceptance.password);
    if ((await this.tokens.consume(acceptance.token, ['invitation'])) === null) {
      throw invalidLink();
    }
    const user = await this.users.update(invited.publicId, {
      passwordHash,
      passwordChangedAt: new Date(),
      status: 'active',
      emailVerified: true,
      ...(acceptance.name === undefined ? {} : { name: acceptance.name }),
    });
    if (user === null) {
      throw invalidLink();
    }

    return this.login.startSession(user, ['pwd'], client);
  }
}
