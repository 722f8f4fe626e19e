export { type IsoWeek, isoWeekOf, lastIsoWeeks } from './iso-week.js';
export { TasksModule } from './tasks.module.js';
export { TasksService } from './tasks.service.js';
export { Comment } from './comments/comment.schema.js';
export { CommentsService } from './comments/comments.service.js';
export {
  PRIORITY_RANK,
  Task,
  TASK_PRIORITIES,
  TASK_STATUSES,
  TASK_TYPES,
  type TaskPriority,
  type TaskStatus,
  type TaskType,
} from './task.schema.js';
