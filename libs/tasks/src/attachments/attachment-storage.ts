import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';

import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectConnection, InjectModel } from '@nestjs/mongoose';
import mongoose, { type Connection, type Model, type Types } from 'mongoose';

import { type IncomingFile, ProblemException } from '@codexflow/core';

import { Attachment } from './attachment.schema.js';
import {
  ALLOWED_CONTENT_TYPES,
  detectAllowedType,
  type DetectedType,
  TYPE_SAMPLE_BYTES,
  vetFileName,
  withTypeExtension,
} from './file-content.js';

const BUCKET = 'attachments';

/** A file written to GridFS that no attachment record points at yet. */
export interface StoredFile {
  fileId: Types.ObjectId;
  fileName: string;
  /** The name as the client sent it, before vetting; part of an upload's Idempotency-Key match. */
  clientName: string;
  contentType: string;
  size: number;
  sha256: string;
}

type UploadStream = mongoose.mongo.GridFSBucketWriteStream;

async function write(upload: UploadStream, chunk: Buffer): Promise<void> {
  if (!upload.write(chunk)) {
    await once(upload, 'drain');
  }
}

/**
 * The bytes of attachments, in the GridFS bucket `attachments`. Every file
 * carries its task and project in its metadata, so files can be found and
 * removed with their task even when no attachment record points at them.
 */
@Injectable()
export class AttachmentStorage {
  private bucketInstance?: mongoose.mongo.GridFSBucket;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @InjectModel(Attachment.name) private readonly attachments: Model<Attachment>,
  ) {}

  /**
   * Streams an upload into GridFS. The type is decided from the first bytes
   * before anything is written; a refused or failed upload leaves no chunks.
   */
  async write(
    file: IncomingFile,
    owner: { taskId: string; projectId: string },
  ): Promise<StoredFile> {
    const vetted = vetFileName(file.fileName);
    if ('problem' in vetted) {
      throw new ProblemException(HttpStatus.BAD_REQUEST, vetted.problem, 'about:blank', [
        { field: 'file', message: vetted.problem },
      ]);
    }

    const hash = createHash('sha256');
    const head: Buffer[] = [];
    let size = 0;
    let upload: UploadStream | undefined;
    let fileName = vetted.name;
    let type: DetectedType | undefined;
    try {
      for await (const chunk of file.stream as AsyncIterable<Buffer>) {
        size += chunk.length;
        hash.update(chunk);
        if (upload !== undefined) {
          await write(upload, chunk);
          continue;
        }
        head.push(chunk);
        if (size >= TYPE_SAMPLE_BYTES) {
          ({ upload, type, fileName } = await this.begin(Buffer.concat(head), vetted.name, owner));
        }
      }
      if (size === 0) {
        throw new ProblemException(HttpStatus.BAD_REQUEST, 'The file is empty', 'about:blank', [
          { field: 'file', message: 'The file is empty' },
        ]);
      }
      if (upload === undefined) {
        ({ upload, type, fileName } = await this.begin(Buffer.concat(head), vetted.name, owner));
      }
      upload.end();
      await finished(upload);
    } catch (error) {
      if (upload !== undefined) {
        await this.discard(upload);
      }
      throw error;
    }

    return {
      fileId: upload.id,
      fileName,
      clientName: file.fileName,
      contentType: type?.mime ?? 'application/octet-stream',
      size,
      sha256: hash.digest('hex'),
    };
  }

  /** Streams the bytes from `start` to `end`, both inclusive. */
  openDownload(fileId: Types.ObjectId, start: number, end: number): Readable {
    return this.bucket().openDownloadStream(fileId, { start, end: end + 1 });
  }

  /** Deletes a file's chunks and record; a file already gone is not an error. */
  async deleteFile(fileId: Types.ObjectId): Promise<void> {
    try {
      await this.bucket().delete(fileId);
    } catch (error) {
      if (
        !(error instanceof mongoose.mongo.MongoRuntimeError && /not found/i.test(error.message))
      ) {
        throw error;
      }
    }
  }

  /** Removes every attachment of a task, files without a record included. */
  async removeForTask(taskId: string): Promise<void> {
    await this.attachments.deleteMany({ taskId }).exec();
    const files = await this.bucket()
      .find({ 'metadata.taskId': taskId }, { projection: { _id: 1 } })
      .toArray();
    for (const file of files) {
      await this.deleteFile(file._id);
    }
  }

  private async begin(
    head: Buffer,
    vettedName: string,
    owner: { taskId: string; projectId: string },
  ): Promise<{ upload: UploadStream; type: DetectedType; fileName: string }> {
    const type = await detectAllowedType(head);
    if (type === undefined) {
      throw new ProblemException(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        `The file's content is not one of ${ALLOWED_CONTENT_TYPES.join(', ')}`,
      );
    }
    const fileName = withTypeExtension(vettedName, type);
    const upload = this.bucket().openUploadStream(fileName, {
      metadata: { ...owner, contentType: type.mime },
    });
    await write(upload, head);
    return { upload, type, fileName };
  }

  /**
   * Removes a partly written upload. Ending the stream first lets every chunk insert in flight
   * land, so the delete finds them all: abort() deletes at once and raced those inserts, which
   * left a stray chunk when a client hung up during a write.
   */
  private async discard(upload: UploadStream): Promise<void> {
    try {
      upload.end();
      await finished(upload);
    } catch {
      // The stream had already failed; deleting by id below still removes its chunks.
    }
    await this.deleteFile(upload.id);
  }

  private bucket(): mongoose.mongo.GridFSBucket {
    if (this.bucketInstance === undefined) {
      const database = this.connection.db;
      if (database === undefined) {
        throw new Error('The database connection is not open');
      }
      this.bucketInstance = new mongoose.mongo.GridFSBucket(database, { bucketName: BUCKET });
    }
    return this.bucketInstance;
  }
}
