import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { type Model } from 'mongoose';

import { CursorCodec, type Page, ProblemException } from '@codexflow/core';

import { AuditEvent } from './audit-event.schema.js';
import type { AuditQueryDto } from './audit-query.dto.js';

/** An audit event as the API returns it. */
export interface AuditEventView {
  id: string;
  timestamp: string;
  userId: string | null;
  action: string;
  resource: string;
  resourceId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  result: string;
  details: Record<string, unknown>;
  requestId: string | null;
  prevHash: string;
  hash: string;
}

export function toAuditEventView(event: AuditEvent): AuditEventView {
  return {
    id: event.publicId,
    timestamp: event.timestamp.toISOString(),
    userId: event.userId,
    action: event.action,
    resource: event.resource,
    resourceId: event.resourceId,
    ipAddress: event.ipAddress,
    userAgent: event.userAgent,
    result: event.result,
    details: event.details,
    requestId: event.requestId,
    prevHash: event.prevHash,
    hash: event.hash,
  };
}

/** Parses a filter time; ISO 8601 forms that Date cannot read, such as week dates, are 400. */
function parseTime(field: string, value: string): Date {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) {
    throw new ProblemException(
      HttpStatus.BAD_REQUEST,
      `${field} must be a date such as 2026-01-31 or 2026-01-31T12:00:00Z`,
      'about:blank',
      [{ field, message: `${field} must be a date such as 2026-01-31 or 2026-01-31T12:00:00Z` }],
    );
  }
  return time;
}

/** Reads the audit trail, newest first, by the filters the indexes on audit_events serve. */
@Injectable()
export class AuditQueries {
  constructor(
    @InjectModel(AuditEvent.name) private readonly events: Model<AuditEvent>,
    private readonly cursors: CursorCodec,
  ) {}

  async list(query: AuditQueryDto, limit: number, scope: string): Promise<Page<AuditEventView>> {
    const filter: Record<string, unknown> = {};
    for (const field of ['userId', 'action', 'resource', 'resourceId', 'result'] as const) {
      if (query[field] !== undefined) {
        filter[field] = query[field];
      }
    }
    const timestamp: Record<string, Date> = {};
    if (query.from !== undefined) {
      timestamp.$gte = parseTime('from', query.from);
    }
    if (query.to !== undefined) {
      timestamp.$lt = parseTime('to', query.to);
    }
    if (Object.keys(timestamp).length > 0) {
      filter.timestamp = mongoose.trusted(timestamp);
    }
    if (query.cursor !== undefined) {
      const before = Number(this.cursors.decodeFor(query.cursor, scope).before);
      if (!Number.isInteger(before)) {
        throw new ProblemException(HttpStatus.BAD_REQUEST, 'cursor is invalid');
      }
      filter._id = mongoose.trusted({ $lt: before });
    }

    const rows = await this.events
      .find(filter)
      .sort({ _id: -1 })
      .limit(limit + 1)
      .lean<AuditEvent[]>()
      .exec();
    const page = this.cursors.page(rows, limit, (last) => ({ before: last._id, list: scope }));
    return { data: page.data.map(toAuditEventView), nextCursor: page.nextCursor };
  }
}
