import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length, Matches, MaxLength } from 'class-validator';

import { Optional } from '@codexflow/core';

import type { Project } from './project.schema.js';

const NAME_RULE = /^[^\p{Cc}<>]*$/u;

export class CreateProjectDto {
  @ApiProperty({ example: 'CFX', description: '2-10 upper-case letters, unique' })
  @Matches(/^[A-Z]{2,10}$/, { message: 'key must be 2-10 upper-case letters' })
  @IsString({ message: 'key must be a string' })
  key!: string;

  @ApiProperty({ maxLength: 100 })
  @Matches(NAME_RULE, { message: 'name must not contain control characters or angle brackets' })
  @Length(1, 100, { message: 'name must be between 1 and 100 characters' })
  @IsString({ message: 'name must be a string' })
  name!: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @Optional()
  @MaxLength(2000, { message: 'description must be at most 2000 characters' })
  @IsString({ message: 'description must be a string' })
  description?: string;
}

export class UpdateProjectDto {
  @ApiPropertyOptional({ maxLength: 100 })
  @Optional()
  @Matches(NAME_RULE, { message: 'name must not contain control characters or angle brackets' })
  @Length(1, 100, { message: 'name must be between 1 and 100 characters' })
  @IsString({ message: 'name must be a string' })
  name?: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @Optional()
  @MaxLength(2000, { message: 'description must be at most 2000 characters' })
  @IsString({ message: 'description must be a string' })
  description?: string;
}

export class AddMemberDto {
  @ApiProperty({ example: 'usr_0123456789abcdefghij' })
  @Matches(/^usr_[0-9A-Za-z]{20}$/, { message: 'userId must be a usr_ id' })
  @IsString({ message: 'userId must be a string' })
  userId!: string;
}

export class ProjectResponseDto {
  @ApiProperty({ example: 'prj_0123456789abcdefghij' })
  id!: string;

  @ApiProperty()
  key!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty()
  description!: string;

  @ApiProperty()
  ownerId!: string;

  @ApiProperty({ type: [String] })
  memberIds!: string[];

  @ApiProperty()
  archived!: boolean;

  @ApiProperty()
  createdAt!: string;
}

/** Maps a stored project to its public shape; new schema fields stay private until added here. */
export function toProjectResponse(project: Project): ProjectResponseDto {
  return {
    id: project.publicId,
    key: project.key,
    name: project.name,
    description: project.description,
    ownerId: project.ownerId,
    memberIds: project.memberIds,
    archived: project.archived,
    createdAt: project.createdAt.toISOString(),
  };
}
