import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';

import { AccessPolicy, BUG_REPORTING_ROLES, type Principal } from '@codexflow/access';
import {
  CursorCodec,
  type FieldError,
  generatePublicId,
  isDuplicateKeyError,
  OnceClaims,
  type Page,
  ProblemException,
} from '@codexflow/core';
import { type Project, ProjectsService } from '@codexflow/projects';

import { AttachmentStorage } from './attachments/attachment-storage.js';
import { Comment } from './comments/comment.schema.js';
import { isoWeekLabel } from './iso-week.js';
import { richTextProblem, sanitizeRichText } from './rich-text.js';
import { afterCursor, taskCursorPosition, taskFilter, taskSort } from './task-list.js';
import type { CreateTaskDto, ListTasksQueryDto, UpdateTaskDto } from './task.dto.js';
import { PRIORITY_RANK, Task, TaskActivity, type TaskStatus } from './task.schema.js';

const MAX_KEY_ATTEMPTS = 50;

function notFound(): ProblemException {
  return new ProblemException(HttpStatus.NOT_FOUND, 'task not found');
}

function invalid(errors: FieldError[]): ProblemException {
  return new ProblemException(
    HttpStatus.BAD_REQUEST,
    errors.map((error) => error.message).join('; '),
    'about:blank',
    errors,
  );
}

export function etagOf(task: Task): string {
  return `"v${task.version}"`;
}

/** Applies RFC 9110 If-Match: `*` or any listed entity tag (weak prefix ignored) that equals the current one. */
function ifMatchHolds(header: string, task: Task): boolean {
  const current = etagOf(task);
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === current);
}

/** Compares stored task values, so a change is recorded only when the value really differs. */
function sameValue(left: unknown, right: unknown): boolean {
  if (left instanceof Date || right instanceof Date) {
    return left instanceof Date && right instanceof Date && left.getTime() === right.getTime();
  }
  return JSON.stringify(left ?? null) === JSON.stringify(right ?? null);
}

/** Tasks of projects. Scopes come from AccessPolicy on the loaded task and project. */
@Injectable()
export class TasksService {
  constructor(
    @InjectModel(Task.name) private readonly tasks: Model<Task>,
    @InjectModel(TaskActivity.name) private readonly activity: Model<TaskActivity>,
    private readonly projects: ProjectsService,
    private readonly policy: AccessPolicy,
    private readonly cursors: CursorCodec,
    private readonly claims: OnceClaims,
    @InjectModel(Comment.name) private readonly comments: Model<Comment>,
    private readonly attachments: AttachmentStorage,
  ) {}

  async create(actor: Principal, projectId: string, input: CreateTaskDto): Promise<Task> {
    const project = await this.projects.getReadable(actor, projectId);
    const isTeam = project.memberIds.includes(actor.userId);
    if (!this.policy.can(actor, 'tasks', 'create', { isTeam })) {
      throw new ProblemException(
        HttpStatus.FORBIDDEN,
        'Your role does not allow creating tasks here',
      );
    }
    this.assertWritable(project);
    if (input.type === 'bug' && !BUG_REPORTING_ROLES.includes(actor.role)) {
      throw new ProblemException(HttpStatus.FORBIDDEN, 'Only qa, managers and admins create bugs');
    }
    this.assertValidFields(project, input);

    const now = new Date();
    const status = input.status ?? 'todo';
    return this.insertWithNextNumber(project, {
      title: input.title,
      description: sanitizeRichText(input.description ?? ''),
      priority: input.priority,
      priorityRank: PRIORITY_RANK[input.priority],
      status,
      type: input.type ?? 'task',
      assigneeId: input.assignee ?? null,
      dueDate: input.dueDate === undefined ? null : new Date(input.dueDate),
      labels: input.labels ?? [],
      createdBy: actor.userId,
      // Set here rather than by the timestamps plugin, so createdWeek is the week of createdAt.
      createdAt: now,
      createdWeek: isoWeekLabel(now),
      ...doneFields(status, now),
    });
  }

  async list(
    actor: Principal,
    projectId: string,
    query: ListTasksQueryDto,
    limit: number,
  ): Promise<Page<Task>> {
    await this.projects.getReadable(actor, projectId);
    const filter = taskFilter(projectId, query);
    const cursorFilter =
      query.cursor === undefined
        ? {}
        : afterCursor(this.cursors.decodeFor(query.cursor, projectId), query.sort);

    const rows = await this.tasks
      .find({ ...filter, ...cursorFilter })
      .sort(taskSort(query.sort))
      .limit(limit + 1)
      .lean<Task[]>()
      .exec();
    return this.cursors.page(rows, limit, (last) => ({
      ...taskCursorPosition(last, query.sort),
      list: projectId,
    }));
  }

  /** Loads a task of a project the caller may read, or throws 404. */
  async getReadable(actor: Principal, taskId: string): Promise<{ task: Task; project: Project }> {
    const task = await this.tasks.findOne({ publicId: taskId }).lean<Task>().exec();
    if (task === null) {
      throw notFound();
    }
    try {
      return { task, project: await this.projects.getReadable(actor, task.projectId) };
    } catch {
      throw notFound();
    }
  }

  async update(
    actor: Principal,
    taskId: string,
    changes: UpdateTaskDto,
    ifMatch?: string,
  ): Promise<Task> {
    const { task, project } = await this.getReadable(actor, taskId);
    const isOwn = task.createdBy === actor.userId || task.assigneeId === actor.userId;
    if (
      !this.policy.can(actor, 'tasks', 'update', {
        isOwn,
        isTeam: project.memberIds.includes(actor.userId),
      })
    ) {
      throw new ProblemException(
        HttpStatus.FORBIDDEN,
        'Your role does not allow changing this task',
      );
    }
    this.assertWritable(project);
    if (ifMatch !== undefined && !ifMatchHolds(ifMatch, task)) {
      throw new ProblemException(
        HttpStatus.PRECONDITION_FAILED,
        'The task changed since it was read; read it again',
      );
    }
    if (
      changes.type === 'bug' &&
      task.type !== 'bug' &&
      !BUG_REPORTING_ROLES.includes(actor.role)
    ) {
      throw new ProblemException(HttpStatus.FORBIDDEN, 'Only qa, managers and admins create bugs');
    }
    this.assertValidFields(project, changes);

    const updates = this.toStored(changes);
    const changed = Object.keys(updates).filter(
      (field) => !sameValue(updates[field as keyof Task], task[field as keyof Task]),
    );
    if (changed.length === 0) {
      return task;
    }
    // Derived fields, kept out of `changed` so the activity lists only what the caller changed.
    const derived =
      changed.includes('status') && updates.status !== undefined
        ? doneFields(updates.status, new Date())
        : {};
    // With If-Match, the claim lets one of two concurrent updates of the same version win.
    if (
      ifMatch !== undefined &&
      !(await this.claims.claim(`task:${task.publicId}:v${task.version}`))
    ) {
      throw new ProblemException(
        HttpStatus.PRECONDITION_FAILED,
        'The task changed since it was read; read it again',
      );
    }
    await this.tasks
      .updateOne(
        { publicId: task.publicId },
        { $set: { ...updates, ...derived }, $inc: { version: 1 } },
      )
      .exec();
    await this.recordActivity(actor, task, updates, changed);

    return { ...task, ...updates, ...derived, version: task.version + 1, updatedAt: new Date() };
  }

  async remove(actor: Principal, taskId: string, ifMatch?: string): Promise<void> {
    const { task, project } = await this.getReadable(actor, taskId);
    if (ifMatch !== undefined && !ifMatchHolds(ifMatch, task)) {
      throw new ProblemException(
        HttpStatus.PRECONDITION_FAILED,
        'The task changed since it was read; read it again',
      );
    }
    if (!this.policy.can(actor, 'tasks', 'delete', { isOwn: task.createdBy === actor.userId })) {
      throw new ProblemException(
        HttpStatus.FORBIDDEN,
        'Your role does not allow deleting this task',
      );
    }
    this.assertWritable(project);
    // The task goes first, so nothing below stays reachable through the API if this stops halfway.
    await this.tasks.deleteOne({ publicId: task.publicId }).exec();
    await this.activity.deleteMany({ taskId: task.publicId }).exec();
    await this.comments.deleteMany({ taskId: task.publicId }).exec();
    await this.attachments.removeForTask(task.publicId);
  }

  async listActivity(
    actor: Principal,
    taskId: string,
    limit: number,
    cursor?: string,
  ): Promise<Page<TaskActivity>> {
    const { task } = await this.getReadable(actor, taskId);
    const skip =
      cursor === undefined ? 0 : Number(this.cursors.decodeFor(cursor, task.publicId).skip);
    const rows = await this.activity
      .find({ taskId: task.publicId })
      .sort({ at: -1, _id: -1 })
      .skip(Number.isInteger(skip) && skip >= 0 ? skip : 0)
      .limit(limit + 1)
      .lean<TaskActivity[]>()
      .exec();
    return this.cursors.page(rows, limit, () => ({ skip: skip + limit, list: task.publicId }));
  }

  private toStored(changes: UpdateTaskDto): Partial<Task> {
    const stored: Partial<Task> = {};
    if (changes.title !== undefined) {
      stored.title = changes.title;
    }
    if (changes.description !== undefined) {
      stored.description = sanitizeRichText(changes.description);
    }
    if (changes.priority !== undefined) {
      stored.priority = changes.priority;
      stored.priorityRank = PRIORITY_RANK[changes.priority];
    }
    if (changes.status !== undefined) {
      stored.status = changes.status;
    }
    if (changes.type !== undefined) {
      stored.type = changes.type;
    }
    if (changes.assignee !== undefined) {
      stored.assigneeId = changes.assignee;
    }
    if (changes.dueDate !== undefined) {
      stored.dueDate = changes.dueDate === null ? null : new Date(changes.dueDate);
    }
    if (changes.labels !== undefined) {
      stored.labels = changes.labels;
    }
    return stored;
  }

  private async recordActivity(
    actor: Principal,
    before: Task,
    after: Partial<Task>,
    fields: string[],
  ): Promise<void> {
    const at = new Date();
    const visible = fields.filter((field) => field !== 'priorityRank');
    await this.activity.insertMany(
      visible.map((field) => ({
        taskId: before.publicId,
        actor: actor.userId,
        at,
        field: field === 'assigneeId' ? 'assignee' : field,
        from: describe(before[field as keyof Task]),
        to: describe(after[field as keyof Task]),
      })),
    );
  }

  private assertWritable(project: Project): void {
    if (project.archived) {
      throw new ProblemException(HttpStatus.CONFLICT, 'The project is archived');
    }
  }

  private assertValidFields(
    project: Project,
    input: { assignee?: string | null; dueDate?: string | null; description?: string },
  ): void {
    const errors: FieldError[] = [];
    if (typeof input.assignee === 'string' && !project.memberIds.includes(input.assignee)) {
      errors.push({ field: 'assignee', message: 'assignee must be a member of the project' });
    }
    if (typeof input.dueDate === 'string' && new Date(input.dueDate).getTime() < Date.now()) {
      errors.push({ field: 'dueDate', message: 'dueDate must not be in the past' });
    }
    const descriptionProblem =
      input.description === undefined
        ? undefined
        : richTextProblem('description', input.description);
    if (descriptionProblem !== undefined) {
      errors.push({ field: 'description', message: descriptionProblem });
    }
    if (errors.length > 0) {
      throw invalid(errors);
    }
  }

  private async insertWithNextNumber(
    project: Project,
    fields: Omit<Task, 'publicId' | 'projectId' | 'number' | 'key' | 'version' | 'updatedAt'>,
  ): Promise<Task> {
    for (let attempt = 0; attempt < MAX_KEY_ATTEMPTS; attempt += 1) {
      const last = await this.tasks
        .findOne({ projectId: project.publicId })
        .sort({ number: -1 })
        .select({ number: 1 })
        .lean<Pick<Task, 'number'>>()
        .exec();
      const number = (last?.number ?? 0) + 1;
      try {
        const created = await this.tasks.create({
          ...fields,
          publicId: generatePublicId('tsk'),
          projectId: project.publicId,
          number,
          key: `${project.key}-${number}`,
          version: 1,
        });
        return created.toObject();
      } catch (error) {
        // Another request took this number first; read the new highest and try again.
        if (!isDuplicateKeyError(error)) {
          throw error;
        }
      }
    }
    throw new ProblemException(
      HttpStatus.SERVICE_UNAVAILABLE,
      'Too many tasks are being created at once; retry shortly',
    );
  }
}

/** Returns when and in which ISO week a task with this status became done, or nulls. */
function doneFields(status: TaskStatus, at: Date): Pick<Task, 'doneAt' | 'doneWeek'> {
  return status === 'done'
    ? { doneAt: at, doneWeek: isoWeekLabel(at) }
    : { doneAt: null, doneWeek: null };
}

function describe(value: unknown): string | null {
  if (value === null || value === undefined) {
    return null;
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (Array.isArray(value)) {
    return value.join(', ');
  }
  return typeof value === 'string' || typeof value === 'number'
    ? String(value)
    : JSON.stringify(value);
}
