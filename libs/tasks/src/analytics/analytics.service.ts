import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { type Model } from 'mongoose';

import { AccessPolicy, type Principal } from '@codexflow/access';
import { ProblemException } from '@codexflow/core';
import { ProjectsService } from '@codexflow/projects';

import { type IsoWeek, lastIsoWeeks } from '../iso-week.js';
import {
  Task,
  TASK_PRIORITIES,
  TASK_STATUSES,
  TASK_TYPES,
  type TaskPriority,
  type TaskStatus,
  type TaskType,
} from '../task.schema.js';
import type { AssigneeCountDto, ProjectAnalyticsDto, WeekCountDto } from './analytics.dto.js';

/** Number of ISO weeks in the weekly series, the current one included. */
export const ANALYTICS_WEEKS = 12;

/** One group of tasks that share status, priority, type and assignee. */
interface BreakdownGroup {
  _id: { status: TaskStatus; priority: TaskPriority; type: TaskType; assignee: string | null };
  count: number;
}

/** One group of tasks that share the week they were created and the week they were done. */
interface WeekGroup {
  _id: { created: string | null; done: string | null };
  count: number;
}

function zeroCounts<Key extends string>(keys: readonly Key[]): Record<Key, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<Key, number>;
}

/** Folds the combined groups into the counts by status, priority, type and assignee. */
function breakdown(groups: BreakdownGroup[]) {
  const byStatus = zeroCounts(TASK_STATUSES);
  const byPriority = zeroCounts(TASK_PRIORITIES);
  const byType = zeroCounts(TASK_TYPES);
  const assignees = new Map<string | null, number>();
  let total = 0;
  for (const { _id: key, count } of groups) {
    total += count;
    byStatus[key.status] += count;
    byPriority[key.priority] += count;
    byType[key.type] += count;
    const assignee = typeof key.assignee === 'string' ? key.assignee : null;
    assignees.set(assignee, (assignees.get(assignee) ?? 0) + count);
  }
  const byAssignee: AssigneeCountDto[] = [...assignees]
    .map(([userId, count]) => ({ userId, count }))
    // Most tasks first; on a tie the unassigned row, then ids in order.
    .sort((a, b) => b.count - a.count || compareIds(a.userId, b.userId));
  return { total, byStatus, byPriority, byType, byAssignee };
}

/** Orders null first, then ids by code unit, as the database sorts them. */
function compareIds(a: string | null, b: string | null): number {
  if (a === b) {
    return 0;
  }
  if (a === null || b === null) {
    return a === null ? -1 : 1;
  }
  return a < b ? -1 : 1;
}

function weeklySeries(weeks: IsoWeek[], groups: WeekGroup[]): WeekCountDto[] {
  const created = new Map<string, number>();
  const done = new Map<string, number>();
  for (const { _id: key, count } of groups) {
    if (key.created !== null) {
      created.set(key.created, (created.get(key.created) ?? 0) + count);
    }
    if (key.done !== null) {
      done.set(key.done, (done.get(key.done) ?? 0) + count);
    }
  }
  return weeks.map((week) => ({
    week: week.label,
    start: week.start,
    created: created.get(week.label) ?? 0,
    done: done.get(week.label) ?? 0,
  }));
}

/**
 * Figures about the tasks of one project in three aggregations, one per figure
 * group: the breakdown by status, priority, type and assignee; overdue tasks;
 * the weekly series. The pipelines use only `$match`, `$group` and `$count`,
 * which the embedded FerretDB 1.24 supports.
 */
@Injectable()
export class AnalyticsService {
  constructor(
    @InjectModel(Task.name) private readonly tasks: Model<Task>,
    private readonly projects: ProjectsService,
    private readonly policy: AccessPolicy,
  ) {}

  async forProject(actor: Principal, projectId: string): Promise<ProjectAnalyticsDto> {
    const project = await this.projects.getReadable(actor, projectId);
    const isTeam = project.memberIds.includes(actor.userId);
    if (!this.policy.can(actor, 'analytics', 'read', { isTeam })) {
      throw new ProblemException(
        HttpStatus.FORBIDDEN,
        'Your role does not allow reading the analytics of this project',
      );
    }

    const now = new Date();
    const weeks = lastIsoWeeks(now, ANALYTICS_WEEKS);
    const [groups, overdue, weekGroups] = await Promise.all([
      this.groupByBreakdown(projectId),
      this.countOverdue(projectId, now),
      this.groupByWeeks(
        projectId,
        weeks.map((week) => week.label),
      ),
    ]);

    return {
      projectId,
      generatedAt: now.toISOString(),
      ...breakdown(groups),
      overdue,
      weekly: weeklySeries(weeks, weekGroups),
    };
  }

  /**
   * Groups the tasks by status, priority, type and assignee in one pass, so the
   * database reads the project's tasks once rather than four times. The groups
   * (at most a few hundred) are then folded into the four breakdowns.
   */
  private groupByBreakdown(projectId: string): Promise<BreakdownGroup[]> {
    return this.tasks
      .aggregate<BreakdownGroup>([
        { $match: { projectId } },
        {
          $group: {
            _id: {
              status: '$status',
              priority: '$priority',
              type: '$type',
              assignee: '$assigneeId',
            },
            count: { $sum: 1 },
          },
        },
      ])
      .exec();
  }

  /**
   * Groups the tasks created or done within `labels` by both weeks. doneWeek
   * is set only while a task is done, so a task that left done is not counted.
   */
  private groupByWeeks(projectId: string, labels: string[]): Promise<WeekGroup[]> {
    return this.tasks
      .aggregate<WeekGroup>([
        {
          $match: {
            projectId,
            $or: [
              { createdWeek: mongoose.trusted({ $in: labels }) },
              { doneWeek: mongoose.trusted({ $in: labels }) },
            ],
          },
        },
        { $group: { _id: { created: '$createdWeek', done: '$doneWeek' }, count: { $sum: 1 } } },
      ])
      .exec();
  }

  private async countOverdue(projectId: string, now: Date): Promise<number> {
    const [result] = await this.tasks
      .aggregate<{ count: number }>([
        {
          $match: {
            projectId,
            dueDate: mongoose.trusted({ $lt: now }),
            status: mongoose.trusted({ $ne: 'done' }),
          },
        },
        { $count: 'count' },
      ])
      .exec();
    return result?.count ?? 0;
  }
}
