import { HttpStatus } from '@nestjs/common';
import mongoose from 'mongoose';

import { type CursorPosition, ProblemException } from '@codexflow/core';

import type { ListTasksQueryDto, TaskSort } from './task.dto.js';
import { PRIORITY_RANK, type Task } from './task.schema.js';

type SortField = 'createdAt' | 'dueDate' | 'priorityRank';

const SORTS: Record<TaskSort, { field: SortField; direction: 1 | -1 }> = {
  '-createdAt': { field: 'createdAt', direction: -1 },
  createdAt: { field: 'createdAt', direction: 1 },
  dueDate: { field: 'dueDate', direction: 1 },
  '-dueDate': { field: 'dueDate', direction: -1 },
  priority: { field: 'priorityRank', direction: 1 },
  '-priority': { field: 'priorityRank', direction: -1 },
};

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Builds the filter of GET /v1/projects/:id/tasks from typed query values only. */
export function taskFilter(projectId: string, query: ListTasksQueryDto): Record<string, unknown> {
  const filter: Record<string, unknown> = { projectId };
  if (query.status !== undefined) {
    filter.status = query.status;
  }
  if (query.priority !== undefined) {
    filter.priorityRank = PRIORITY_RANK[query.priority];
  }
  if (query.type !== undefined) {
    filter.type = query.type;
  }
  if (query.assignee !== undefined) {
    filter.assigneeId = query.assignee;
  }
  if (query.dueBefore !== undefined) {
    filter.dueDate = mongoose.trusted({ $lt: new Date(query.dueBefore) });
  }
  if (query.q !== undefined && query.q.length > 0) {
    filter.title = mongoose.trusted({ $regex: escapeRegex(query.q), $options: 'i' });
  }
  return filter;
}

export function taskSort(sort: TaskSort = '-createdAt'): Record<string, 1 | -1> {
  const { field, direction } = SORTS[sort];
  return { [field]: direction, publicId: direction };
}

/** Encodes where a page ended: the sort value of its last task and that task's id. */
export function taskCursorPosition(task: Task, sort: TaskSort = '-createdAt'): CursorPosition {
  const value = task[SORTS[sort].field];
  const encoded = value instanceof Date ? value.toISOString() : (value ?? '');
  return { sort, value: encoded, id: task.publicId };
}

function cursorValue(field: SortField, raw: string | number | undefined): number | Date | null {
  if (field === 'priorityRank') {
    return Number(raw);
  }
  if (raw === '' || raw === undefined) {
    return null;
  }
  const date = new Date(String(raw));
  if (Number.isNaN(date.getTime())) {
    throw new ProblemException(HttpStatus.BAD_REQUEST, 'cursor is invalid');
  }
  return date;
}

/**
 * Returns the condition for rows after the cursor in the sort order. A task
 * without a due date sorts before every dated task.
 */
export function afterCursor(
  position: CursorPosition,
  sort: TaskSort = '-createdAt',
): Record<string, unknown> {
  const { field, direction } = SORTS[sort];
  if (position.sort !== sort || typeof position.id !== 'string') {
    throw new ProblemException(HttpStatus.BAD_REQUEST, 'cursor belongs to another sort order');
  }

  const value = cursorValue(field, position.value);
  const beyond = direction === 1 ? '$gt' : '$lt';
  const sameValueLater = { [field]: value, publicId: mongoose.trusted({ [beyond]: position.id }) };

  if (value === null) {
    // After a null: ascending continues with later nulls and then every dated task.
    return direction === 1
      ? { $or: [sameValueLater, { [field]: mongoose.trusted({ $ne: null }) }] }
      : sameValueLater;
  }
  const laterValues =
    direction === 1
      ? { [field]: mongoose.trusted({ $gt: value }) }
      : { $or: [{ [field]: mongoose.trusted({ $lt: value }) }, { [field]: null }] };
  return { $or: [sameValueLater, laterValues] };
}
