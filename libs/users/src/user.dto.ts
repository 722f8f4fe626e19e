import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsString, Length, Matches, MaxLength } from 'class-validator';

import { Optional } from '@codexflow/core';

import { ROLES, type Role } from '@codexflow/access';

import type { User } from './user.schema.js';

/** Shared limits: RFC 5321 caps an address at 254 characters. */
export const EMAIL_MAX_LENGTH = 254;
export const NAME_MAX_LENGTH = 100;

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

/** Checks length first, so the e-mail validator never scans an oversized string. */
/**
 * Plain ASCII addresses only: quoted local parts and look-alike Unicode
 * letters would let one mailbox hold several accounts. Internationalised
 * domains work in their punycode (xn--) form.
 */
const ASCII_EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;

export function IsAccountEmail(): PropertyDecorator {
  return (target, key) => {
    Matches(ASCII_EMAIL, { message: `${String(key)} must be a plain ASCII e-mail address` })(
      target,
      key,
    );
    IsEmail({}, { message: `${String(key)} must be an e-mail address` })(target, key);
    MaxLength(EMAIL_MAX_LENGTH, {
      message: `${String(key)} must be at most ${EMAIL_MAX_LENGTH} characters`,
    })(target, key);
    IsString({ message: `${String(key)} must be a string` })(target, key);
  };
}

export function IsPersonName(): PropertyDecorator {
  return (target, key) => {
    Matches(/^[^\p{Cc}\p{Cf}<>]*$/u, {
      message: `${String(key)} must not contain control characters or angle brackets`,
    })(target, key);
    Length(1, NAME_MAX_LENGTH, {
      message: `${String(key)} must be between 1 and ${NAME_MAX_LENGTH} characters`,
    })(target, key);
    IsString({ message: `${String(key)} must be a string` })(target, key);
    Transform(trim)(target, key);
  };
}

export class UpdateProfileDto {
  @ApiPropertyOptional({ maxLength: NAME_MAX_LENGTH })
  @Optional()
  @IsPersonName()
  name?: string;

  @ApiPropertyOptional({ description: 'A new address; it takes effect once verified' })
  @Optional()
  @IsAccountEmail()
  email?: string;
}

export class InviteUserDto {
  @ApiProperty()
  @IsAccountEmail()
  email!: string;

  @ApiProperty({ maxLength: NAME_MAX_LENGTH })
  @IsPersonName()
  name!: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role!: Role;
}

export class ChangeRoleDto {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role!: Role;

  @ApiPropertyOptional({ description: 'MFA code, required when the acting admin has MFA' })
  @Optional()
  @Matches(/^[0-9]{6}$/, { message: 'mfaCode must be a 6-digit code' })
  mfaCode?: string;
}

export class EraseUserDto {
  @ApiPropertyOptional({ description: 'MFA code, required when the acting admin has MFA' })
  @Optional()
  @Matches(/^[0-9]{6}$/, { message: 'mfaCode must be a 6-digit code' })
  mfaCode?: string;
}

export class EraseOwnAccountDto {
  @ApiPropertyOptional({
    description: 'Your current password; without it the request is rejected with 403',
  })
  @Optional()
  @IsString({ message: 'password must be a string' })
  @MaxLength(1024, { message: 'password must be at most 1024 characters' })
  password?: string;

  @ApiPropertyOptional({ description: 'MFA code, required when you have MFA' })
  @Optional()
  @Matches(/^[0-9]{6}$/, { message: 'mfaCode must be a 6-digit code' })
  mfaCode?: string;
}

export class UserResponseDto {
  @ApiProperty({ example: 'usr_0123456789abcdefghij' })
  id!: string;

  @ApiProperty()
  email!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: ROLES })
  role!: Role;

  @ApiProperty()
  emailVerified!: boolean;

  @ApiProperty({ description: 'Whether a second factor is active' })
  mfa!: boolean;

  @ApiProperty({ enum: ['invited', 'active', 'disabled', 'erasing'] })
  status!: string;

  @ApiPropertyOptional({ nullable: true, description: 'An address waiting for verification' })
  pendingEmail!: string | null;

  @ApiProperty()
  createdAt!: string;
}

/** Maps a stored user to its public shape; new schema fields stay private until added here. */
export function toUserResponse(user: User): UserResponseDto {
  return {
    id: user.publicId,
    email: user.email,
    name: user.name,
    role: user.role,
    emailVerified: user.emailVerified,
    mfa: user.mfaEnabled === true,
    status: user.status,
    pendingEmail: user.pendingEmail,
    createdAt: user.createdAt.toISOString(),
  };
}
