import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

export const TASK_PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];
export const TASK_STATUSES = ['todo', 'in_progress', 'in_review', 'done'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TASK_TYPES = ['task', 'bug', 'design'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** Sort rank of each priority, stored so lists sort by importance rather than by name. */
export const PRIORITY_RANK: Record<TaskPriority, number> = {
  low: 0,
  medium: 1,
  high: 2,
  critical: 3,
};

@Schema({ collection: 'tasks', timestamps: true, versionKey: false, strict: 'throw' })
export class Task {
  @Prop({ type: String, required: true, unique: true })
  publicId!: string;

  @Prop({ type: String, required: true })
  projectId!: string;

  /** Position in the project, 1, 2, 3… without gaps; the key is the project key and this number. */
  @Prop({ type: Number, required: true })
  number!: number;

  @Prop({ type: String, required: true, unique: true })
  key!: string;

  @Prop({ type: String, required: true })
  title!: string;

  @Prop({ type: String, default: '' })
  description!: string;

  @Prop({ type: String, required: true, enum: TASK_PRIORITIES })
  priority!: TaskPriority;

  @Prop({ type: Number, required: true })
  priorityRank!: number;

  @Prop({ type: String, required: true, enum: TASK_STATUSES, default: 'todo' })
  status!: TaskStatus;

  @Prop({ type: String, required: true, enum: TASK_TYPES, default: 'task' })
  type!: TaskType;

  @Prop({ type: String, default: null })
  assigneeId!: string | null;

  @Prop({ type: Date, default: null })
  dueDate!: Date | null;

  @Prop({ type: [String], default: [] })
  labels!: string[];

  @Prop({ type: String, required: true })
  createdBy!: string;

  /** Grows by one on every change; the ETag is built from it. */
  @Prop({ type: Number, required: true, default: 1 })
  version!: number;

  /**
   * ISO week of `createdAt` in UTC, such as `2026-W49`. The weekly analytics
   * group on it because the embedded FerretDB has no date operators.
   * NOTE: tasks stored before this field and `doneWeek` existed lack them,
   * so the weekly series leaves those tasks out.
   */
  @Prop({ type: String, required: true })
  createdWeek!: string;

  /** Time the task last entered status `done`, or null while it is not done. */
  @Prop({ type: Date, default: null })
  doneAt!: Date | null;

  /** ISO week of `doneAt` in UTC, or null while the task is not done. */
  @Prop({ type: String, default: null })
  doneWeek!: string | null;

  createdAt!: Date;
  updatedAt!: Date;
}

export const TaskSchema = SchemaFactory.createForClass(Task);
TaskSchema.index({ projectId: 1, number: 1 }, { unique: true });
TaskSchema.index({ projectId: 1, createdAt: -1, publicId: -1 });
TaskSchema.index({ projectId: 1, status: 1 });
TaskSchema.index({ projectId: 1, priorityRank: -1 });
TaskSchema.index({ projectId: 1, assigneeId: 1 });
TaskSchema.index({ projectId: 1, type: 1 });
TaskSchema.index({ projectId: 1, dueDate: 1 });
TaskSchema.index({ projectId: 1, createdWeek: 1 });
TaskSchema.index({ projectId: 1, doneWeek: 1 });

/** One field change of a task, for GET /v1/tasks/:id/activity. */
@Schema({ collection: 'task_activity', versionKey: false, strict: 'throw' })
export class TaskActivity {
  @Prop({ type: String, required: true, index: true })
  taskId!: string;

  @Prop({ type: String, required: true })
  actor!: string;

  @Prop({ type: Date, required: true })
  at!: Date;

  @Prop({ type: String, required: true })
  field!: string;

  @Prop({ type: String, default: null })
  from!: string | null;

  @Prop({ type: String, default: null })
  to!: string | null;
}

export const TaskActivitySchema = SchemaFactory.createForClass(TaskActivity);
