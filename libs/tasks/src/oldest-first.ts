import { HttpStatus } from '@nestjs/common';
import mongoose, { type Model } from 'mongoose';

import { type CursorCodec, type Page, ProblemException } from '@codexflow/core';

interface Dated {
  publicId: string;
  createdAt: Date;
}

/**
 * Reads one page of a task's records, oldest first, after the position in
 * `cursor`. Ties on creation time are broken by public id, so a page boundary
 * never skips or repeats a record.
 */
export async function pageOldestFirst<Row extends Dated>(
  model: Model<Row>,
  cursors: CursorCodec,
  taskId: string,
  limit: number,
  cursor?: string,
): Promise<Page<Row>> {
  const filter: Record<string, unknown> = { taskId };
  if (cursor !== undefined) {
    const position = cursors.decodeFor(cursor, taskId);
    const at = new Date(String(position.at));
    if (typeof position.after !== 'string' || Number.isNaN(at.getTime())) {
      throw new ProblemException(HttpStatus.BAD_REQUEST, 'cursor is invalid');
    }
    filter.$or = [
      { createdAt: mongoose.trusted({ $gt: at }) },
      { createdAt: at, publicId: mongoose.trusted({ $gt: position.after }) },
    ];
  }

  const rows = await model
    .find(filter)
    .sort({ createdAt: 1, publicId: 1 })
    .limit(limit + 1)
    .lean<Row[]>()
    .exec();
  return cursors.page(rows, limit, (last) => ({
    at: last.createdAt.toISOString(),
    after: last.publicId,
    list: taskId,
  }));
}
