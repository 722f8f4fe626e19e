import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength } from 'class-validator';

const SIX_DIGITS = /^[0-9]{6}$/;
/** E.164: a plus sign and up to 15 digits, the first not zero. */
const E164 = /^\+[1-9][0-9]{6,14}$/;
const MFA_TOKEN = /^[A-Za-z0-9_-]{20,128}$/;

export class MfaCodeDto {
  @ApiProperty({ example: '123456' })
  @Matches(SIX_DIGITS, { message: 'code must be 6 digits' })
  @IsString({ message: 'code must be a string' })
  code!: string;
}

export class SmsEnrollDto {
  @ApiProperty({ example: '+14155550100', description: 'E.164 phone number' })
  @Matches(E164, { message: 'phone must be an E.164 number such as +14155550100' })
  @IsString({ message: 'phone must be a string' })
  phone!: string;
}

export class MfaChallengeDto {
  @ApiProperty()
  @Matches(MFA_TOKEN, { message: 'mfaToken is malformed' })
  @IsString({ message: 'mfaToken must be a string' })
  mfaToken!: string;

  @ApiProperty({ enum: ['email', 'sms'] })
  @IsIn(['email', 'sms'], { message: 'method must be email or sms' })
  method!: 'email' | 'sms';
}

export class MfaVerifyDto {
  @ApiProperty()
  @Matches(MFA_TOKEN, { message: 'mfaToken is malformed' })
  @IsString({ message: 'mfaToken must be a string' })
  mfaToken!: string;

  @ApiProperty({ enum: ['totp', 'email', 'sms', 'recovery'] })
  @IsIn(['totp', 'email', 'sms', 'recovery'], {
    message: 'method must be totp, email, sms or recovery',
  })
  method!: 'totp' | 'email' | 'sms' | 'recovery';

  @ApiProperty({ description: '6 digits, or a recovery code such as ABCD-EFGH-JKMN' })
  @MaxLength(20, { message: 'code must be at most 20 characters' })
  @IsString({ message: 'code must be a string' })
  code!: string;
}

export class StepUpChallengeDto {
  @ApiProperty({ enum: ['email', 'sms'] })
  @IsIn(['email', 'sms'], { message: 'method must be email or sms' })
  method!: 'email' | 'sms';
}

export class MfaRequiredDto {
  @ApiProperty({ enum: [true] })
  mfaRequired!: true;

  @ApiProperty({
    description: 'Short-lived token for /v1/auth/mfa/challenge and /v1/auth/mfa/verify',
  })
  mfaToken!: string;

  @ApiProperty({ enum: ['totp', 'email', 'sms', 'recovery'], isArray: true })
  methods!: string[];
}

export function isSixDigits(code: string): boolean {
  return SIX_DIGITS.test(code);
}
