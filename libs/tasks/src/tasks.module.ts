import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';

import { ProjectsModule } from '@codexflow/projects';

import { AnalyticsController } from './analytics/analytics.controller.js';
import { AnalyticsService } from './analytics/analytics.service.js';
import { Attachment, AttachmentSchema } from './attachments/attachment.schema.js';
import { AttachmentStorage } from './attachments/attachment-storage.js';
import { AttachmentsController } from './attachments/attachments.controller.js';
import { AttachmentsService } from './attachments/attachments.service.js';
import { Comment, CommentSchema } from './comments/comment.schema.js';
import { CommentsController } from './comments/comments.controller.js';
import { CommentsService } from './comments/comments.service.js';
import { Task, TaskActivity, TaskActivitySchema, TaskSchema } from './task.schema.js';
import { TasksController } from './tasks.controller.js';
import { TasksPersonalData } from './tasks-personal-data.js';
import { TasksService } from './tasks.service.js';

@Module({
  imports: [
    ProjectsModule,
    MongooseModule.forFeature([
      { name: Task.name, schema: TaskSchema },
      { name: TaskActivity.name, schema: TaskActivitySchema },
      { name: Comment.name, schema: CommentSchema },
      { name: Attachment.name, schema: AttachmentSchema },
    ]),
  ],
  controllers: [TasksController, CommentsController, AttachmentsController, AnalyticsController],
  providers: [
    TasksService,
    CommentsService,
    AttachmentStorage,
    AttachmentsService,
    AnalyticsService,
    TasksPersonalData,
  ],
  exports: [TasksService],
})
export class TasksModule {}
