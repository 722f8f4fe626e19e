import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsString, Matches, MaxLength } from 'class-validator';

import { Optional, PageQueryDto } from '@codexflow/core';

const NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

/** Filters of GET /v1/audit/events; every value is a plain string, never an operator. */
export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'usr_0123456789abcdefghij' })
  @Optional()
  @IsString({ message: 'userId must be a string' })
  @Matches(NAME, { message: 'userId must be an id such as usr_…' })
  userId?: string;

  @ApiPropertyOptional({ example: 'auth.login' })
  @Optional()
  @IsString({ message: 'action must be a string' })
  @Matches(NAME, { message: 'action must be letters, digits and . _ : -' })
  action?: string;

  @ApiPropertyOptional({ example: 'tasks' })
  @Optional()
  @IsString({ message: 'resource must be a string' })
  @Matches(NAME, { message: 'resource must be letters, digits and . _ : -' })
  resource?: string;

  @ApiPropertyOptional()
  @Optional()
  @IsString({ message: 'resourceId must be a string' })
  @MaxLength(200, { message: 'resourceId must be at most 200 characters' })
  resourceId?: string;

  @ApiPropertyOptional({ enum: ['success', 'failure'] })
  @Optional()
  @IsIn(['success', 'failure'], { message: 'result must be success or failure' })
  result?: 'success' | 'failure';

  @ApiPropertyOptional({ description: 'ISO 8601 time; events at or after it' })
  @Optional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 date' })
  from?: string;

  @ApiPropertyOptional({ description: 'ISO 8601 time; events before it' })
  @Optional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 date' })
  to?: string;
}
