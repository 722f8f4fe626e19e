import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Logger,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';

import { AllowWithoutMfa, CurrentPrincipal, type Principal, Public } from '@codexflow/access';
import {
  APP_CONFIG,
  type AppConfig,
  AuthRateLimited,
  ExemptFromUserQuota,
  ProblemException,
} from '@codexflow/core';
import { UsersService } from '@codexflow/users';

import {
  AcceptInvitationDto,
  ChangePasswordDto,
  EmailDto,
  LoginDto,
  RefreshDto,
  RegisterDto,
  ResetPasswordDto,
  TokenDto,
  TokenSetDto,
} from '../flows/auth.dto.js';
import { InvitationService } from '../flows/invitation.service.js';
import type { MfaRequiredDto } from '../mfa/mfa.dto.js';
import { LoginService } from '../flows/login.service.js';
import { PasswordService } from '../flows/password.service.js';
import { RegistrationService } from '../flows/registration.service.js';
import { TokenIssuer, type TokenSet } from '../flows/token-issuer.js';
import { clientContext } from '../sessions/client-context.js';
import { RevocationService } from '../sessions/revocation.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import {
  clearSessionCookies,
  readCookie,
  REFRESH_COOKIE,
  setCsrfCookie,
  setSessionCookies,
} from './auth-cookies.js';
import { assertCsrfToken } from './csrf.js';

const ACCEPTED = { status: 'accepted' } as const;

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  private readonly logger = new Logger(AuthController.name);

  constructor(
    private readonly registration: RegistrationService,
    private readonly logins: LoginService,
    private readonly passwords: PasswordService,
    private readonly invitations: InvitationService,
    private readonly sessions: SessionsService,
    private readonly revocations: RevocationService,
    private readonly users: UsersService,
    private readonly issuer: TokenIssuer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @AuthRateLimited()
  @Post('register')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Register; the answer is the same whether or not the address is known' })
  @ApiAcceptedResponse({
    description: 'A verification mail is on its way if the address can register',
  })
  async register(@Body() body: RegisterDto): Promise<typeof ACCEPTED> {
    await this.registration.register(body);
    return ACCEPTED;
  }

  @Public()
  @Post('verify-email')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Verify an e-mail address with the token from the mailed link' })
  async verifyEmail(@Body() body: TokenDto): Promise<{ emailVerified: true }> {
    await this.registration.verifyEmail(body.token);
    return { emailVerified: true };
  }

  @Public()
  @AuthRateLimited()
  @Post('resend-verification')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Mail a new verification link to an unverified account' })
  resendVerification(@Body() body: EmailDto): typeof ACCEPTED {
    this.inBackground('resend-verification', () =>
      this.registration.resendVerification(body.email),
    );
    return ACCEPTED;
  }

  @Public()
  @AuthRateLimited()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Sign in with e-mail and password; also sets the session cookies' })
  @ApiOkResponse({
    description:
      'A token set, or, when MFA is enrolled, { mfaRequired, mfaToken, methods } and no tokens',
    type: TokenSetDto,
  })
  async login(
    @Body() body: LoginDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<TokenSet | MfaRequiredDto> {
    const result = await this.logins.login(body.email, body.password, clientContext(request));
    if ('accessToken' in result) {
      setSessionCookies(request, response, result, this.config);
    }
    return result;
  }

  @Public()
  @AuthRateLimited()
  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Exchange a refresh token (body or cf_refresh cookie) for a new token set',
  })
  @ApiOkResponse({ type: TokenSetDto })
  async refresh(
    @Body() body: RefreshDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<TokenSet> {
    const fromBody = typeof body.refreshToken === 'string';
    const presented = fromBody ? body.refreshToken : readCookie(request, REFRESH_COOKIE);
    if (presented === undefined) {
      throw new ProblemException(HttpStatus.UNAUTHORIZED, 'A refresh token is required');
    }
    if (!fromBody) {
      assertCsrfToken(request);
    }

    const { session, refreshToken } = await this.sessions.rotate(presented, clientContext(request));
    const user = await this.users.findById(session.userId);
    if (user?.status !== 'active') {
      await this.sessions.revoke(session.publicId, 'account-inactive');
      throw new ProblemException(
        HttpStatus.UNAUTHORIZED,
        'The refresh token is invalid, expired or revoked',
      );
    }

    const tokens = this.issuer.issue(user, session, refreshToken);
    setSessionCookies(request, response, tokens, this.config);
    return tokens;
  }

  @AllowWithoutMfa()
  @ExemptFromUserQuota()
  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'End this session: its refresh tokens and this access token stop working',
  })
  @ApiNoContentResponse()
  async logout(
    @CurrentPrincipal() principal: Principal,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<void> {
    await this.sessions.revoke(principal.sessionId, 'logout');
    await this.revocations.revokeToken(principal.tokenId, principal.tokenExpiresAt);
    clearSessionCookies(request, response);
  }

  @Public()
  @Get('csrf')
  @ApiOperation({ summary: 'Issue a CSRF token and the cf_csrf cookie' })
  csrf(
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): { csrfToken: string } {
    const csrfToken = setCsrfCookie(
      request,
      response,
      this.config.sessions.refreshIdleSeconds * 1000,
    );
    return { csrfToken };
  }

  @Public()
  @AuthRateLimited()
  @Post('password/forgot')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Mail a password reset link; the answer is the same for every address' })
  forgotPassword(@Body() body: EmailDto): typeof ACCEPTED {
    this.inBackground('password-forgot', () => this.passwords.forgot(body.email));
    return ACCEPTED;
  }

  @Public()
  @Post('password/reset')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Set a new password with the token from the mailed link; ends every session',
  })
  async resetPassword(@Body() body: ResetPasswordDto): Promise<void> {
    await this.passwords.reset(body.token, body.newPassword);
  }

  @ExemptFromUserQuota()
  @Post('password/change')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Change your password; ends your other sessions' })
  async changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ChangePasswordDto,
  ): Promise<void> {
    await this.passwords.change(principal, body.currentPassword, body.newPassword, body.mfaCode);
  }

  @Public()
  @Post('invitations/accept')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Accept an invitation: set a password and sign in' })
  @ApiOkResponse({ type: TokenSetDto })
  async acceptInvitation(
    @Body() body: AcceptInvitationDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<TokenSet> {
    const tokens = await this.invitations.accept(body, clientContext(request));
    setSessionCookies(request, response, tokens, this.config);
    return tokens;
  }

  /**
   * Runs work whose outcome the caller must not learn, after the response:
   * the response then takes the same time for known and unknown addresses.
   */
  private inBackground(event: string, work: () => Promise<void>): void {
    setImmediate(() => {
      work().catch((error: unknown) => {
        this.logger.error({ err: error, event }, 'background account work failed');
      });
    });
  }
}
