import type { Readable } from 'node:stream';

import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Request } from 'express';
import type { Model } from 'mongoose';

import { AccessPolicy, type Principal } from '@codexflow/access';
import {
  APP_CONFIG,
  type AppConfig,
  CursorCodec,
  generatePublicId,
  IdempotencyStore,
  type Page,
  ProblemException,
  receiveSingleFile,
  type StoredResponse,
} from '@codexflow/core';
import type { Project } from '@codexflow/projects';

import type { Task } from '../task.schema.js';
import { pageOldestFirst } from '../oldest-first.js';
import { TasksService } from '../tasks.service.js';
import { Attachment } from './attachment.schema.js';
import { toAttachmentResponse } from './attachment.dto.js';
import { AttachmentStorage, type StoredFile } from './attachment-storage.js';

/** The outcome of an upload: a new attachment, or the replay of an earlier one. */
export type UploadOutcome = { created: Attachment } | { replay: StoredResponse };

/** Attachments of tasks, under the same project scopes as the tasks themselves. */
@Injectable()
export class AttachmentsService {
  constructor(
    @InjectModel(Attachment.name) private readonly attachments: Model<Attachment>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly storage: AttachmentStorage,
    private readonly tasks: TasksService,
    private readonly policy: AccessPolicy,
    private readonly cursors: CursorCodec,
    private readonly idempotency: IdempotencyStore,
  ) {}

  /**
   * Receives the multipart body of `request` as a new attachment of a task.
   * Scope, archive state and the Idempotency-Key are checked before a byte is
   * read. A retried upload is recognised by its key, content and name.
   */
  async upload(actor: Principal, taskId: string, request: Request): Promise<UploadOutcome> {
    const { task, project } = await this.tasks.getReadable(actor, taskId);
    this.assertAllowed(actor, 'create', project, false);
    if (project.archived) {
      throw new ProblemException(HttpStatus.CONFLICT, 'The project is archived');
    }
    const recordId = this.idempotency.recordId(request);

    const file = await receiveSingleFile(request, {
      field: 'file',
      maxBytes: this.config.http.attachmentLimitBytes,
      store: (incoming) =>
        this.storage.write(incoming, { taskId: task.publicId, projectId: project.publicId }),
      discard: (stored) => this.storage.deleteFile(stored.fileId),
    });

    if (recordId === undefined) {
      return { created: await this.record(actor, task, file) };
    }
    let replay: StoredResponse | undefined;
    try {
      replay = await this.idempotency.begin(recordId, `${file.sha256}:${file.clientName}`);
    } catch (error) {
      await this.storage.deleteFile(file.fileId);
      throw error;
    }
    if (replay !== undefined) {
      await this.storage.deleteFile(file.fileId);
      return { replay };
    }
    try {
      const created = await this.record(actor, task, file);
      await this.idempotency.complete(recordId, HttpStatus.CREATED, toAttachmentResponse(created));
      return { created };
    } catch (error) {
      await this.idempotency.release(recordId);
      throw error;
    }
  }

  /** Lists a task's attachments, oldest first. */
  async list(
    actor: Principal,
    taskId: string,
    limit: number,
    cursor?: string,
  ): Promise<Page<Attachment>> {
    const { task, project } = await this.tasks.getReadable(actor, taskId);
    this.assertAllowed(actor, 'read', project, false);
    return pageOldestFirst(this.attachments, this.cursors, task.publicId, limit, cursor);
  }

  /** Loads an attachment the caller may read, or throws 404. */
  async getReadable(actor: Principal, attachmentId: string): Promise<Attachment> {
    const { attachment, project } = await this.load(actor, attachmentId);
    this.assertAllowed(actor, 'read', project, attachment.uploadedBy === actor.userId);
    return attachment;
  }

  /** Streams the bytes from `start` to `end` of an attachment loaded by getReadable. */
  openContent(attachment: Attachment, start: number, end: number): Readable {
    return this.storage.openDownload(attachment.fileId, start, end);
  }

  async remove(actor: Principal, attachmentId: string): Promise<void> {
    const { attachment, project } = await this.load(actor, attachmentId);
    this.assertAllowed(actor, 'delete', project, attachment.uploadedBy === actor.userId);
    if (project.archived) {
      throw new ProblemException(HttpStatus.CONFLICT, 'The project is archived');
    }
    // The record goes first, so no reader finds a record whose bytes are gone.
    await this.attachments.deleteOne({ publicId: attachment.publicId }).exec();
    await this.storage.deleteFile(attachment.fileId);
  }

  private async load(
    actor: Principal,
    attachmentId: string,
  ): Promise<{ attachment: Attachment; project: Project }> {
    const attachment = await this.attachments
      .findOne({ publicId: attachmentId })
      .lean<Attachment>()
      .exec();
    if (attachment === null) {
      throw new ProblemException(HttpStatus.NOT_FOUND, 'attachment not found');
    }
    const { project } = await this.tasks.getReadable(actor, attachment.taskId);
    return { attachment, project };
  }

  private assertAllowed(
    actor: Principal,
    action: 'create' | 'read' | 'delete',
    project: Project,
    isOwn: boolean,
  ): void {
    const target = { isOwn, isTeam: project.memberIds.includes(actor.userId) };
    if (!this.policy.can(actor, 'attachments', action, target)) {
      throw new ProblemException(
        HttpStatus.FORBIDDEN,
        `Your role does not allow this on attachments here (${action})`,
      );
    }
  }

  /**
   * Records a stored file as an attachment of its task. The task is read
   * again before and after the insert, because it may have been deleted or its
   * project archived while the bytes streamed in. Either the second read finds
   * the change, or the task's deletion finds the record and removes it.
   */
  private async record(actor: Principal, task: Task, file: StoredFile): Promise<Attachment> {
    let created: Attachment | undefined;
    try {
      await this.assertStillWritable(actor, task.publicId);
      created = (
        await this.attachments.create({
          publicId: generatePublicId('att'),
          taskId: task.publicId,
          projectId: task.projectId,
          uploadedBy: actor.userId,
          fileId: file.fileId,
          fileName: file.fileName,
          contentType: file.contentType,
          size: file.size,
          sha256: file.sha256,
        })
      ).toObject();
      await this.assertStillWritable(actor, task.publicId);
      return created;
    } catch (error) {
      if (created !== undefined) {
        await this.attachments.deleteOne({ publicId: created.publicId }).exec();
      }
      await this.storage.deleteFile(file.fileId);
      throw error;
    }
  }

  private async assertStillWritable(actor: Principal, taskId: string): Promise<void> {
    const { project } = await this.tasks.getReadable(actor, taskId);
    if (project.archived) {
      throw new ProblemException(HttpStatus.CONFLICT, 'The project was archived during the upload');
    }
  }
}
