import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsISO8601,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';

import { Optional, PageQueryDto } from '@codexflow/core';

import {
  type Task,
  TASK_PRIORITIES,
  TASK_STATUSES,
  TASK_TYPES,
  type TaskPriority,
  type TaskStatus,
  type TaskType,
} from './task.schema.js';

const USER_ID = /^usr_[0-9A-Za-z]{20}$/;

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

/** Lets a PATCH send null to clear a field; undefined leaves it as it is. */
const Clearable = () =>
  ValidateIf((_object: object, value: unknown) => value !== undefined && value !== null);

export class CreateTaskDto {
  @ApiProperty({ minLength: 3, maxLength: 200 })
  @Transform(trim)
  @Length(3, 200, { message: 'title must be between 3 and 200 characters' })
  @IsString({ message: 'title must be a string' })
  title!: string;

  @ApiPropertyOptional({ maxLength: 5000, description: 'HTML is reduced to a safe subset' })
  @Optional()
  @MaxLength(5000, { message: 'description must be at most 5000 characters' })
  @IsString({ message: 'description must be a string' })
  description?: string;

  @ApiProperty({ enum: TASK_PRIORITIES })
  @IsIn(TASK_PRIORITIES, { message: `priority must be one of ${TASK_PRIORITIES.join(', ')}` })
  priority!: TaskPriority;

  @ApiPropertyOptional({ enum: TASK_STATUSES, default: 'todo' })
  @Optional()
  @IsIn(TASK_STATUSES, { message: `status must be one of ${TASK_STATUSES.join(', ')}` })
  status?: TaskStatus;

  @ApiPropertyOptional({ enum: TASK_TYPES, default: 'task' })
  @Optional()
  @IsIn(TASK_TYPES, { message: `type must be one of ${TASK_TYPES.join(', ')}` })
  type?: TaskType;

  @ApiPropertyOptional({ description: 'usr_ id of a project member' })
  @Optional()
  @Matches(USER_ID, { message: 'assignee must be a usr_ id' })
  @IsString({ message: 'assignee must be a string' })
  assignee?: string;

  @ApiPropertyOptional({ description: 'ISO 8601, not in the past' })
  @Optional()
  @IsISO8601({ strict: true }, { message: 'dueDate must be an ISO 8601 date' })
  dueDate?: string;

  @ApiPropertyOptional({ type: [String], maxItems: 20 })
  @Optional()
  @ArrayMaxSize(20, { message: 'labels must contain at most 20 items' })
  @Length(1, 50, { each: true, message: 'each label must be between 1 and 50 characters' })
  @IsString({ each: true, message: 'each label must be a string' })
  @IsArray({ message: 'labels must be an array' })
  labels?: string[];
}

export class UpdateTaskDto {
  @ApiPropertyOptional({ enum: TASK_TYPES, description: 'Only qa, managers and admins set bug' })
  @Optional()
  @IsIn(TASK_TYPES, { message: `type must be one of ${TASK_TYPES.join(', ')}` })
  type?: TaskType;

  @ApiPropertyOptional({ minLength: 3, maxLength: 200 })
  @Optional()
  @Transform(trim)
  @Length(3, 200, { message: 'title must be between 3 and 200 characters' })
  @IsString({ message: 'title must be a string' })
  title?: string;

  @ApiPropertyOptional({ maxLength: 5000 })
  @Optional()
  @MaxLength(5000, { message: 'description must be at most 5000 characters' })
  @IsString({ message: 'description must be a string' })
  description?: string;

  @ApiPropertyOptional({ enum: TASK_PRIORITIES })
  @Optional()
  @IsIn(TASK_PRIORITIES, { message: `priority must be one of ${TASK_PRIORITIES.join(', ')}` })
  priority?: TaskPriority;

  @ApiPropertyOptional({ enum: TASK_STATUSES })
  @Optional()
  @IsIn(TASK_STATUSES, { message: `status must be one of ${TASK_STATUSES.join(', ')}` })
  status?: TaskStatus;

  @ApiPropertyOptional({
    description: 'usr_ id of a project member; null unassigns',
    nullable: true,
  })
  @Clearable()
  @Matches(USER_ID, { message: 'assignee must be a usr_ id' })
  @IsString({ message: 'assignee must be a string' })
  assignee?: string | null;

  @ApiPropertyOptional({ description: 'ISO 8601, not in the past; null clears it', nullable: true })
  @Clearable()
  @IsISO8601({ strict: true }, { message: 'dueDate must be an ISO 8601 date' })
  dueDate?: string | null;

  @ApiPropertyOptional({ type: [String], maxItems: 20 })
  @Optional()
  @ArrayMaxSize(20, { message: 'labels must contain at most 20 items' })
  @Length(1, 50, { each: true, message: 'each label must be between 1 and 50 characters' })
  @IsString({ each: true, message: 'each label must be a string' })
  @IsArray({ message: 'labels must be an array' })
  labels?: string[];
}

export const TASK_SORTS = [
  '-createdAt',
  'createdAt',
  'dueDate',
  '-dueDate',
  'priority',
  '-priority',
] as const;
export type TaskSort = (typeof TASK_SORTS)[number];

export class ListTasksQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: TASK_STATUSES })
  @Optional()
  @IsIn(TASK_STATUSES, { message: `status must be one of ${TASK_STATUSES.join(', ')}` })
  status?: TaskStatus;

  @ApiPropertyOptional({ enum: TASK_PRIORITIES })
  @Optional()
  @IsIn(TASK_PRIORITIES, { message: `priority must be one of ${TASK_PRIORITIES.join(', ')}` })
  priority?: TaskPriority;

  @ApiPropertyOptional({ enum: TASK_TYPES })
  @Optional()
  @IsIn(TASK_TYPES, { message: `type must be one of ${TASK_TYPES.join(', ')}` })
  type?: TaskType;

  @ApiPropertyOptional()
  @Optional()
  @Matches(USER_ID, { message: 'assignee must be a usr_ id' })
  @IsString({ message: 'assignee must be a string' })
  assignee?: string;

  @ApiPropertyOptional({ description: 'ISO 8601; tasks due before this' })
  @Optional()
  @IsISO8601({ strict: true }, { message: 'dueBefore must be an ISO 8601 date' })
  dueBefore?: string;

  @ApiPropertyOptional({ description: 'Text in the title', maxLength: 100 })
  @Optional()
  @MaxLength(100, { message: 'q must be at most 100 characters' })
  @IsString({ message: 'q must be a string' })
  q?: string;

  @ApiPropertyOptional({ enum: TASK_SORTS, default: '-createdAt' })
  @Optional()
  @IsIn(TASK_SORTS, { message: `sort must be one of ${TASK_SORTS.join(', ')}` })
  sort?: TaskSort;
}

export class TaskResponseDto {
  @ApiProperty({ example: 'tsk_0123456789abcdefghij' })
  id!: string;

  @ApiProperty({ example: 'CFX-12' })
  key!: string;

  @ApiProperty()
  projectId!: string;

  @ApiProperty()
  title!: string;

  @ApiProperty()
  description!: string;

  @ApiProperty({ enum: TASK_PRIORITIES })
  priority!: TaskPriority;

  @ApiProperty({ enum: TASK_STATUSES })
  status!: TaskStatus;

  @ApiProperty({ enum: TASK_TYPES })
  type!: TaskType;

  @ApiProperty({ nullable: true })
  assignee!: string | null;

  @ApiProperty({ nullable: true })
  dueDate!: string | null;

  @ApiProperty({ type: [String] })
  labels!: string[];

  @ApiProperty()
  createdBy!: string;

  @ApiProperty()
  createdAt!: string;

  @ApiProperty()
  updatedAt!: string;
}

/** Maps a stored task to its public shape; new schema fields stay private until added here. */
export function toTaskResponse(task: Task): TaskResponseDto {
  return {
    id: task.publicId,
    key: task.key,
    projectId: task.projectId,
    title: task.title,
    description: task.description,
    priority: task.priority,
    status: task.status,
    type: task.type,
    assignee: task.assigneeId,
    dueDate: task.dueDate?.toISOString() ?? null,
    labels: task.labels,
    createdBy: task.createdBy,
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
  };
}
