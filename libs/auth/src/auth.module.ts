import { Global, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';

import { APP_CONFIG, type AppConfig } from '@codexflow/core';
import { AuthPersonalData } from './auth-personal-data.js';
import { AccountLifecycle, UsersModule } from '@codexflow/users';

import { AccountMailer } from './flows/account-mailer.js';
import { AuthAccountLifecycle } from './flows/auth-account-lifecycle.js';
import { BootstrapAdminService } from './flows/bootstrap-admin.service.js';
import { InvitationService } from './flows/invitation.service.js';
import { AccountLockout } from './flows/account-lockout.js';
import { LoginService } from './flows/login.service.js';
import { OneTimeTokensService } from './flows/one-time-tokens.service.js';
import { PasswordService } from './flows/password.service.js';
import { RegistrationService } from './flows/registration.service.js';
import { TokenIssuer } from './flows/token-issuer.js';
import { AuthController } from './http/auth.controller.js';
import { CsrfGuard } from './http/csrf.js';
import { JwksController } from './http/jwks.controller.js';
import { JwtAuthGuard } from './http/jwt-auth.guard.js';
import { MfaEnforcementGuard } from './http/mfa-enforcement.guard.js';
import { MfaCodesService } from './mfa/mfa-codes.service.js';
import { MfaFactorsService } from './mfa/mfa-factors.service.js';
import { MfaLoginService } from './mfa/mfa-login.service.js';
import { MfaController } from './mfa/mfa.controller.js';
import {
  MfaCode,
  MfaCodeSchema,
  MfaFactor,
  MfaFactorSchema,
  MfaLogin,
  MfaLoginSchema,
  RecoveryCode,
  RecoveryCodeSchema,
} from './mfa/mfa.schemas.js';
import { RecoveryCodesService } from './mfa/recovery-codes.service.js';
import { StepUpService } from './mfa/step-up.service.js';
import { SessionsController } from './http/sessions.controller.js';
import { PasswordHasher } from './passwords/password-hasher.js';
import { PasswordPolicy } from './passwords/password-policy.js';
import { OneTimeToken, OneTimeTokenSchema } from './schemas/one-time-token.schema.js';
import { RefreshToken, RefreshTokenSchema } from './schemas/refresh-token.schema.js';
import { Revocation, RevocationSchema } from './schemas/revocation.schema.js';
import { Session, SessionSchema } from './schemas/session.schema.js';
import { RevocationService } from './sessions/revocation.service.js';
import { SessionsService } from './sessions/sessions.service.js';
import { KeyRing } from './tokens/key-ring.js';
import { TokenSigner } from './tokens/token-signer.js';

/** Audience of ID tokens, distinct from the API's, so an ID token never passes as an access token. */
export const ID_TOKEN_AUDIENCE = 'codexflow-web';

/**
 * Registration, login, tokens, sessions, CSRF and password flows. Global, so
 * the AccountLifecycle it provides reaches the users module without an import cycle.
 */
@Global()
@Module({
  imports: [
    UsersModule,
    MongooseModule.forFeature([
      { name: Session.name, schema: SessionSchema },
      { name: RefreshToken.name, schema: RefreshTokenSchema },
      { name: OneTimeToken.name, schema: OneTimeTokenSchema },
      { name: Revocation.name, schema: RevocationSchema },
      { name: MfaFactor.name, schema: MfaFactorSchema },
      { name: RecoveryCode.name, schema: RecoveryCodeSchema },
      { name: MfaCode.name, schema: MfaCodeSchema },
      { name: MfaLogin.name, schema: MfaLoginSchema },
    ]),
  ],
  controllers: [AuthController, MfaController, SessionsController, JwksController],
  providers: [
    {
      provide: KeyRing,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => KeyRing.load(config),
    },
    {
      provide: TokenSigner,
      inject: [KeyRing, APP_CONFIG],
      useFactory: (keyRing: KeyRing, config: AppConfig) =>
        new TokenSigner(keyRing, {
          issuer: config.jwt.issuer,
          audience: config.jwt.audience,
          idTokenAudience: ID_TOKEN_AUDIENCE,
          accessTokenTtlSeconds: config.jwt.accessTokenTtlSeconds,
        }),
    },
    { provide: AccountLifecycle, useClass: AuthAccountLifecycle },
    AccountMailer,
    AuthPersonalData,
    BootstrapAdminService,
    CsrfGuard,
    InvitationService,
    JwtAuthGuard,
    LoginService,
    AccountLockout,
    MfaCodesService,
    MfaEnforcementGuard,
    MfaFactorsService,
    MfaLoginService,
    OneTimeTokensService,
    PasswordHasher,
    PasswordPolicy,
    PasswordService,
    RecoveryCodesService,
    RegistrationService,
    RevocationService,
    SessionsService,
    StepUpService,
    TokenIssuer,
  ],
  exports: [
    AccountLifecycle,
    CsrfGuard,
    JwtAuthGuard,
    MfaEnforcementGuard,
    MfaFactorsService,
    SessionsService,
    TokenSigner,
  ],
})
export class AuthModule {}
