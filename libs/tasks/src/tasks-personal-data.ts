import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { type Model } from 'mongoose';

import { type ErasureSubject, PersonalDataRegistry } from '@codexflow/core';

import { Attachment } from './attachments/attachment.schema.js';
import { Comment } from './comments/comment.schema.js';
import { Task, TaskActivity } from './task.schema.js';

/**
 * Registers the personal data in tasks, comments and attachments. Their
 * content belongs to shared projects and stays, so the person's id in it is
 * replaced by the pseudonym, in fields and in text alike.
 */
@Injectable()
export class TasksPersonalData implements OnModuleInit {
  constructor(
    @InjectModel(Task.name) private readonly tasks: Model<Task>,
    @InjectModel(TaskActivity.name) private readonly activity: Model<TaskActivity>,
    @InjectModel(Comment.name) private readonly comments: Model<Comment>,
    @InjectModel(Attachment.name) private readonly attachments: Model<Attachment>,
    private readonly registry: PersonalDataRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'tasks',
      description: 'Tasks the person created or is assigned to',
      export: async (userId) =>
        (
          await this.tasks
            .find({ $or: [{ createdBy: userId }, { assigneeId: userId }] })
            .lean<Task[]>()
            .exec()
        ).map((task) => ({
          id: task.publicId,
          key: task.key,
          projectId: task.projectId,
          title: task.title,
          status: task.status,
          createdByYou: task.createdBy === userId,
          assignedToYou: task.assigneeId === userId,
          createdAt: task.createdAt,
        })),
      erase: async (subject) => {
        const { userId, pseudonym } = subject;
        await this.tasks
          .updateMany({ createdBy: userId }, { $set: { createdBy: pseudonym } })
          .exec();
        await this.tasks
          .updateMany({ assigneeId: userId }, { $set: { assigneeId: pseudonym } })
          .exec();
        await this.replaceInText(this.tasks, 'title', subject);
        await this.replaceInText(this.tasks, 'description', subject);
        await this.activity.updateMany({ actor: userId }, { $set: { actor: pseudonym } }).exec();
        await this.activity.updateMany({ from: userId }, { $set: { from: pseudonym } }).exec();
        await this.activity.updateMany({ to: userId }, { $set: { to: pseudonym } }).exec();
      },
    });
    this.registry.register({
      name: 'comments',
      description: 'Comments the person wrote',
      export: async (userId) =>
        (await this.comments.find({ authorId: userId }).lean<Comment[]>().exec()).map(
          (comment) => ({
            id: comment.publicId,
            taskId: comment.taskId,
            body: comment.body,
            createdAt: comment.createdAt,
          }),
        ),
      erase: async (subject) => {
        const { userId, pseudonym } = subject;
        await this.comments
          .updateMany({ authorId: userId }, { $set: { authorId: pseudonym } })
          .exec();
        await this.comments
          .updateMany({ mentions: userId }, { $pull: { mentions: userId } })
          .exec();
        await this.replaceInText(this.comments, 'body', subject);
      },
    });
    this.registry.register({
      name: 'attachments',
      description: 'Metadata of the files the person attached (the files stay with their tasks)',
      export: async (userId) =>
        (await this.attachments.find({ uploadedBy: userId }).lean<Attachment[]>().exec()).map(
          (attachment) => ({
            id: attachment.publicId,
            taskId: attachment.taskId,
            fileName: attachment.fileName,
            contentType: attachment.contentType,
            size: attachment.size,
            createdAt: attachment.createdAt,
          }),
        ),
      erase: async ({ userId, pseudonym }) => {
        await this.attachments
          .updateMany({ uploadedBy: userId }, { $set: { uploadedBy: pseudonym } })
          .exec();
      },
    });
  }

  /**
   * Replaces the person's id, e-mail address and name in the text of `field`
   * with the pseudonym, document by document, as the database has no string
   * replace. Names shorter than three characters are left, since they would
   * match inside ordinary words.
   */
  private async replaceInText<Row extends { publicId: string }>(
    model: Model<Row>,
    field: 'title' | 'description' | 'body',
    subject: ErasureSubject,
  ): Promise<void> {
    const pattern = [subject.userId, subject.email, subject.name.trim()]
      .filter((trace) => trace.length >= 3)
      .map(escapeRegExp)
      .join('|');
    const mentioning = await model
      .find({ [field]: mongoose.trusted({ $regex: pattern, $options: 'i' }) })
      .select({ publicId: 1, [field]: 1 })
      .lean<Array<Record<string, string>>>()
      .exec();
    const replace = new RegExp(pattern, 'gi');
    for (const row of mentioning) {
      await model.collection.updateOne(
        { publicId: row.publicId },
        { $set: { [field]: (row[field] ?? '').replace(replace, subject.pseudonym) } },
      );
    }
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
