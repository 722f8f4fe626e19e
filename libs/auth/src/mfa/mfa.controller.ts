import {
  Body,
  Controller,
  Delete,
  HttpCode,
  HttpStatus,
  Inject,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';

import { AllowWithoutMfa, CurrentPrincipal, type Principal, Public } from '@codexflow/access';
import { APP_CONFIG, type AppConfig, AuthRateLimited, ProblemException } from '@codexflow/core';
import { type User, UsersService } from '@codexflow/users';

import { LoginService } from '../flows/login.service.js';
import type { TokenSet } from '../flows/token-issuer.js';
import { setSessionCookies } from '../http/auth-cookies.js';
import { clientContext } from '../sessions/client-context.js';
import { MfaFactorsService, type TotpEnrolment } from './mfa-factors.service.js';
import { MfaLoginService } from './mfa-login.service.js';
import {
  MfaChallengeDto,
  MfaCodeDto,
  MfaVerifyDto,
  SmsEnrollDto,
  StepUpChallengeDto,
} from './mfa.dto.js';
import { StepUpService } from './step-up.service.js';

const ACCEPTED = { status: 'accepted' } as const;

@ApiTags('mfa')
@Controller('auth/mfa')
export class MfaController {
  constructor(
    private readonly factors: MfaFactorsService,
    private readonly mfaLogins: MfaLoginService,
    private readonly logins: LoginService,
    private readonly stepUp: StepUpService,
    private readonly users: UsersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @AuthRateLimited()
  @Post('challenge')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Send an e-mail or SMS code for a login that needs MFA' })
  async challenge(@Body() body: MfaChallengeDto): Promise<typeof ACCEPTED> {
    await this.mfaLogins.challenge(body.mfaToken, body.method);
    return ACCEPTED;
  }

  @Public()
  @AuthRateLimited()
  @Post('verify')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Finish a login with a TOTP, e-mail, SMS or recovery code' })
  async verify(
    @Body() body: MfaVerifyDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<TokenSet> {
    const user = await this.mfaLogins.verify(body);
    const tokens = await this.logins.startSession(user, ['pwd', 'mfa'], clientContext(request));
    setSessionCookies(request, response, tokens, this.config);
    return tokens;
  }

  @AllowWithoutMfa()
  @Post('step-up/challenge')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Send a code usable once as mfaCode in the next 10 minutes' })
  async stepUpChallenge(
    @CurrentPrincipal() principal: Principal,
    @Body() body: StepUpChallengeDto,
  ): Promise<typeof ACCEPTED> {
    await this.stepUp.challenge(principal, body.method);
    return ACCEPTED;
  }

  @AllowWithoutMfa()
  @Post('totp/enroll')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Start TOTP enrolment: returns the secret and an otpauth:// URL' })
  async enrollTotp(@CurrentPrincipal() principal: Principal): Promise<TotpEnrolment> {
    return this.factors.enrollTotp(await this.activeUser(principal));
  }

  @AllowWithoutMfa()
  @Post('totp/activate')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Activate TOTP with a code; returns 10 recovery codes, shown once' })
  async activateTotp(
    @CurrentPrincipal() principal: Principal,
    @Body() body: MfaCodeDto,
  ): Promise<{ recoveryCodes: string[] }> {
    const user = await this.activeUser(principal);
    return { recoveryCodes: await this.factors.activate(user, 'totp', body.code) };
  }

  @Delete('totp')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Remove TOTP; needs a current code (admins keep at least one factor)' })
  async removeTotp(
    @CurrentPrincipal() principal: Principal,
    @Body() body: MfaCodeDto,
  ): Promise<void> {
    const user = await this.activeUser(principal);
    await this.factors.assertRemovable(user, 'totp');
    await this.stepUp.require(principal, body.code);
    await this.factors.remove(user, 'totp');
  }

  @AllowWithoutMfa()
  @Post('email/enroll')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Start e-mail MFA enrolment: mails a code to the account address' })
  async enrollEmail(@CurrentPrincipal() principal: Principal): Promise<typeof ACCEPTED> {
    await this.factors.enrollByCode(await this.activeUser(principal), 'email', null);
    return ACCEPTED;
  }

  @AllowWithoutMfa()
  @Post('email/activate')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Activate e-mail MFA with the mailed code; returns 10 recovery codes' })
  async activateEmail(
    @CurrentPrincipal() principal: Principal,
    @Body() body: MfaCodeDto,
  ): Promise<{ recoveryCodes: string[] }> {
    const user = await this.activeUser(principal);
    return { recoveryCodes: await this.factors.activate(user, 'email', body.code) };
  }

  @AllowWithoutMfa()
  @Post('sms/enroll')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Start SMS MFA enrolment: texts a code to an E.164 number' })
  async enrollSms(
    @CurrentPrincipal() principal: Principal,
    @Body() body: SmsEnrollDto,
  ): Promise<typeof ACCEPTED> {
    await this.factors.enrollByCode(await this.activeUser(principal), 'sms', body.phone);
    return ACCEPTED;
  }

  @AllowWithoutMfa()
  @Post('sms/activate')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Activate SMS MFA with the texted code; returns 10 recovery codes' })
  async activateSms(
    @CurrentPrincipal() principal: Principal,
    @Body() body: MfaCodeDto,
  ): Promise<{ recoveryCodes: string[] }> {
    const user = await this.activeUser(principal);
    return { recoveryCodes: await this.factors.activate(user, 'sms', body.code) };
  }

  private async activeUser(principal: Principal): Promise<User> {
    const user = await this.users.findById(principal.userId);
    if (user?.status !== 'active') {
      throw new ProblemException(HttpStatus.UNAUTHORIZED, 'The account is no longer active');
    }
    return user;
  }
}
