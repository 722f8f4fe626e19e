import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';

import { Optional } from '@codexflow/core';

import { IsAccountEmail, IsPersonName } from '@codexflow/users';

/** Long enough for any valid password, short enough that hashing a hostile one stays cheap. */
const PASSWORD_INPUT_MAX_LENGTH = 1024;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{20,128}$/;

function IsPasswordInput(): PropertyDecorator {
  return (target, key) => {
    MaxLength(PASSWORD_INPUT_MAX_LENGTH, {
      message: `${String(key)} must be at most ${PASSWORD_INPUT_MAX_LENGTH} characters`,
    })(target, key);
    IsString({ message: `${String(key)} must be a string` })(target, key);
  };
}

function IsLinkToken(): PropertyDecorator {
  return (target, key) => {
    Matches(TOKEN_PATTERN, { message: `${String(key)} is malformed` })(target, key);
    IsString({ message: `${String(key)} must be a string` })(target, key);
  };
}

export class RegisterDto {
  @ApiProperty()
  @IsAccountEmail()
  email!: string;

  @ApiProperty({ minLength: 12, maxLength: 128 })
  @IsPasswordInput()
  password!: string;

  @ApiProperty()
  @IsPersonName()
  name!: string;
}

export class EmailDto {
  @ApiProperty()
  @IsAccountEmail()
  email!: string;
}

export class TokenDto {
  @ApiProperty()
  @IsLinkToken()
  token!: string;
}

export class LoginDto {
  @ApiProperty()
  @IsAccountEmail()
  email!: string;

  @ApiProperty()
  @IsPasswordInput()
  password!: string;
}

export class RefreshDto {
  @ApiPropertyOptional({ description: 'Omit to use the cf_refresh cookie' })
  @Optional()
  @IsLinkToken()
  refreshToken?: string;
}

export class ResetPasswordDto {
  @ApiProperty()
  @IsLinkToken()
  token!: string;

  @ApiProperty({ minLength: 12, maxLength: 128 })
  @IsPasswordInput()
  newPassword!: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsPasswordInput()
  currentPassword!: string;

  @ApiProperty({ minLength: 12, maxLength: 128 })
  @IsPasswordInput()
  newPassword!: string;

  @ApiPropertyOptional({ description: 'MFA code, required when MFA is enrolled' })
  @Optional()
  @Matches(/^[0-9]{6}$/, { message: 'mfaCode must be a 6-digit code' })
  mfaCode?: string;
}

export class AcceptInvitationDto {
  @ApiProperty()
  @IsLinkToken()
  token!: string;

  @ApiProperty({ minLength: 12, maxLength: 128 })
  @IsPasswordInput()
  password!: string;

  @ApiPropertyOptional()
  @Optional()
  @IsPersonName()
  name?: string;
}

export class TokenSetDto {
  @ApiProperty()
  accessToken!: string;

  @ApiProperty()
  idToken!: string;

  @ApiProperty()
  refreshToken!: string;

  @ApiProperty({ description: 'Access token lifetime in seconds' })
  expiresIn!: number;

  @ApiProperty({ enum: ['Bearer'] })
  tokenType!: 'Bearer';
}

export class SessionResponseDto {
  @ApiProperty({ example: 'ses_0123456789abcdefghij' })
  id!: string;

  @ApiProperty()
  createdAt!: string;

  @ApiProperty()
  lastUsedAt!: string;

  @ApiProperty({ nullable: true })
  ipAddress!: string | null;

  @ApiProperty({ nullable: true })
  userAgent!: string | null;

  @ApiProperty()
  current!: boolean;
}
