import { ApiProperty } from '@nestjs/swagger';

import type { TaskPriority, TaskStatus, TaskType } from '../task.schema.js';

/**
 * Query of GET /v1/projects/:id/analytics. It declares no parameters, so the
 * global validation pipe rejects any query parameter with 400.
 */
export class AnalyticsQueryDto {}

export class StatusCountsDto implements Record<TaskStatus, number> {
  @ApiProperty()
  todo!: number;

  @ApiProperty()
  in_progress!: number;

  @ApiProperty()
  in_review!: number;

  @ApiProperty()
  done!: number;
}

export class PriorityCountsDto implements Record<TaskPriority, number> {
  @ApiProperty()
  low!: number;

  @ApiProperty()
  medium!: number;

  @ApiProperty()
  high!: number;

  @ApiProperty()
  critical!: number;
}

export class TypeCountsDto implements Record<TaskType, number> {
  @ApiProperty()
  task!: number;

  @ApiProperty()
  bug!: number;

  @ApiProperty()
  design!: number;
}

export class AssigneeCountDto {
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'usr_0123456789abcdefghij',
    description: 'null counts the unassigned tasks',
  })
  userId!: string | null;

  @ApiProperty()
  count!: number;
}

export class WeekCountDto {
  @ApiProperty({ example: '2026-W49', description: 'ISO 8601 week in UTC' })
  week!: string;

  @ApiProperty({ example: '2026-11-30', description: 'The Monday that starts the week' })
  start!: string;

  @ApiProperty({ description: 'Tasks created in the week' })
  created!: number;

  @ApiProperty({ description: 'Tasks that became done in the week and are still done' })
  done!: number;
}

export class ProjectAnalyticsDto {
  @ApiProperty({ example: 'prj_0123456789abcdefghij' })
  projectId!: string;

  @ApiProperty({ description: 'When the figures were computed, ISO 8601' })
  generatedAt!: string;

  @ApiProperty({ description: 'Tasks in the project' })
  total!: number;

  @ApiProperty({ type: StatusCountsDto })
  byStatus!: StatusCountsDto;

  @ApiProperty({ type: PriorityCountsDto })
  byPriority!: PriorityCountsDto;

  @ApiProperty({ type: TypeCountsDto })
  byType!: TypeCountsDto;

  @ApiProperty({
    type: [AssigneeCountDto],
    description: 'By count, largest first, then by userId with null before any id',
  })
  byAssignee!: AssigneeCountDto[];

  @ApiProperty({ description: 'Tasks due before now that are not done' })
  overdue!: number;

  @ApiProperty({
    type: [WeekCountDto],
    description: 'The last 12 ISO weeks in UTC, oldest first, ending with the current week',
  })
  weekly!: WeekCountDto[];
}
