import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';

import { AccessPolicy, type Principal } from '@codexflow/access';
import { CursorCodec, generatePublicId, type Page, ProblemException } from '@codexflow/core';

import { richTextProblem, sanitizeRichText } from '../rich-text.js';
import { pageOldestFirst } from '../oldest-first.js';
import { TasksService } from '../tasks.service.js';
import { Comment } from './comment.schema.js';

const MENTION = /usr_[0-9A-Za-z]{20}/g;

/** Comments on tasks, under the same project scopes as the tasks themselves. */
@Injectable()
export class CommentsService {
  constructor(
    @InjectModel(Comment.name) private readonly comments: Model<Comment>,
    private readonly tasks: TasksService,
    private readonly policy: AccessPolicy,
    private readonly cursors: CursorCodec,
  ) {}

  async create(actor: Principal, taskId: string, body: string): Promise<Comment> {
    const { task, project } = await this.tasks.getReadable(actor, taskId);
    if (
      !this.policy.can(actor, 'comments', 'create', {
        isTeam: project.memberIds.includes(actor.userId),
      })
    ) {
      throw new ProblemException(HttpStatus.FORBIDDEN, 'Your role does not allow commenting here');
    }
    if (project.archived) {
      throw new ProblemException(HttpStatus.CONFLICT, 'The project is archived');
    }
    const problem = richTextProblem('body', body);
    if (problem !== undefined) {
      throw new ProblemException(HttpStatus.BAD_REQUEST, problem, 'about:blank', [
        { field: 'body', message: problem },
      ]);
    }

    const sanitised = sanitizeRichText(body);
    const mentions = [...new Set(sanitised.match(MENTION) ?? [])].filter((id) =>
      project.memberIds.includes(id),
    );
    const created = await this.comments.create({
      publicId: generatePublicId('cmt'),
      taskId: task.publicId,
      projectId: project.publicId,
      authorId: actor.userId,
      body: sanitised,
      mentions,
    });
    return created.toObject();
  }

  /** Lists a task's comments, oldest first. */
  async list(
    actor: Principal,
    taskId: string,
    limit: number,
    cursor?: string,
  ): Promise<Page<Comment>> {
    const { task } = await this.tasks.getReadable(actor, taskId);
    return pageOldestFirst(this.comments, this.cursors, task.publicId, limit, cursor);
  }

  async remove(actor: Principal, commentId: string): Promise<void> {
    const comment = await this.comments.findOne({ publicId: commentId }).lean<Comment>().exec();
    if (comment === null) {
      throw new ProblemException(HttpStatus.NOT_FOUND, 'comment not found');
    }
    const { project } = await this.tasks.getReadable(actor, comment.taskId);
    const target = {
      isOwn: comment.authorId === actor.userId,
      isTeam: project.memberIds.includes(actor.userId),
    };
    if (!this.policy.can(actor, 'comments', 'delete', target)) {
      throw new ProblemException(
        HttpStatus.FORBIDDEN,
        'Only the author, a manager or an admin deletes a comment',
      );
    }
    if (project.archived) {
      throw new ProblemException(HttpStatus.CONFLICT, 'The project is archived');
    }
    await this.comments.deleteOne({ publicId: comment.publicId }).exec();
  }
}
