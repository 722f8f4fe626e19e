import {
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Logger,
  Param,
  Post,
  Query,
  Req,
  Res,
  StreamableFile,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { create as contentDisposition } from 'content-disposition';
import type { Request, Response } from 'express';
import parseRange from 'range-parser';

import { CurrentPrincipal, type Principal, RequirePermission } from '@codexflow/access';
import {
  AcceptsMultipart,
  DEFAULT_PAGE_SIZE,
  IdempotencyStore,
  type Page,
  PageQueryDto,
  PROBLEM_CONTENT_TYPE,
  ProblemException,
  PublicIdPipe,
} from '@codexflow/core';

import { AttachmentResponseDto, toAttachmentResponse } from './attachment.dto.js';
import { AttachmentsService } from './attachments.service.js';
import { ALLOWED_CONTENT_TYPES } from './file-content.js';

const taskIdPipe = new PublicIdPipe('tsk', 'task');
const attachmentIdPipe = new PublicIdPipe('att', 'attachment');

/** Returns the one byte range to send, or undefined to send the whole file. */
function requestedRange(
  size: number,
  range: string | undefined,
  ifRange: string | undefined,
  etag: string,
): { start: number; end: number } | undefined {
  if (range === undefined || (ifRange !== undefined && ifRange !== etag)) {
    return undefined;
  }
  // A suffix longer than the file means the whole file; range-parser would call it unsatisfiable.
  const suffix = /^bytes=\s*-(\d+)\s*$/.exec(range);
  if (suffix !== null && Number(suffix[1]) >= size) {
    return { start: 0, end: size - 1 };
  }
  const ranges = parseRange(size, range, { combine: true });
  if (ranges === -1) {
    throw new ProblemException(
      HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
      `The range lies outside the file's ${size} bytes`,
      'about:blank',
      undefined,
      { 'Content-Range': `bytes */${size}` },
    );
  }
  // For a malformed header, another unit or several ranges, the whole file is a valid response.
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) {
    return undefined;
  }
  return ranges[0];
}

/** Compares If-None-Match weakly, as RFC 9110 requires for GET: `*`, `"tag"` and `W/"tag"` all match. */
function noneMatchHolds(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((entry) => entry.trim().replace(/^W\//, ''))
    .some((entry) => entry === '*' || entry === etag);
}

@ApiTags('attachments')
@ApiBearerAuth()
@Controller()
export class AttachmentsController {
  private readonly logger = new Logger(AttachmentsController.name);

  constructor(
    private readonly attachments: AttachmentsService,
    private readonly idempotency: IdempotencyStore,
  ) {}

  @Post('tasks/:id/attachments')
  @AcceptsMultipart()
  @RequirePermission('attachments', 'create')
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' } },
    },
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiOperation({
    summary: `Attach one file (field "file"); the type is read from the content: ${ALLOWED_CONTENT_TYPES.join(', ')}`,
  })
  async upload(
    @CurrentPrincipal() principal: Principal,
    @Param('id', taskIdPipe) taskId: string,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<unknown> {
    const outcome = await this.attachments.upload(principal, taskId, request);
    if ('replay' in outcome) {
      return this.idempotency.replay(response, outcome.replay);
    }
    response.status(HttpStatus.CREATED).location(`/v1/attachments/${outcome.created.publicId}`);
    return toAttachmentResponse(outcome.created);
  }

  @Get('tasks/:id/attachments')
  @RequirePermission('attachments', 'read')
  @ApiOperation({ summary: "A task's attachments, oldest first" })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Param('id', taskIdPipe) taskId: string,
    @Query() query: PageQueryDto,
  ): Promise<Page<AttachmentResponseDto>> {
    const page = await this.attachments.list(
      principal,
      taskId,
      query.limit ?? DEFAULT_PAGE_SIZE,
      query.cursor,
    );
    return { data: page.data.map(toAttachmentResponse), nextCursor: page.nextCursor };
  }

  @Get('attachments/:id')
  @RequirePermission('attachments', 'read')
  @ApiProduces(...ALLOWED_CONTENT_TYPES)
  @ApiOperation({ summary: "An attachment's bytes, as a download; honours Range and If-Range" })
  async download(
    @CurrentPrincipal() principal: Principal,
    @Param('id', attachmentIdPipe) id: string,
    @Headers('range') range: string | undefined,
    @Headers('if-range') ifRange: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile | undefined> {
    const attachment = await this.attachments.getReadable(principal, id);
    const etag = `"${attachment.sha256}"`;
    response.set({
      ETag: etag,
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'private, no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    if (ifNoneMatch !== undefined && noneMatchHolds(ifNoneMatch, etag)) {
      response.status(HttpStatus.NOT_MODIFIED);
      return undefined;
    }

    const size = attachment.size;
    const part = requestedRange(size, range, ifRange, etag);
    const { start, end } = part ?? { start: 0, end: size - 1 };
    if (part !== undefined) {
      response.status(HttpStatus.PARTIAL_CONTENT);
      response.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    }
    return new StreamableFile(this.attachments.openContent(attachment, start, end), {
      type: attachment.contentType,
      disposition: contentDisposition(attachment.fileName, { type: 'attachment' }),
      length: end - start + 1,
    }).setErrorHandler((error, handler) => {
      // The bytes vanished between the lookup and the read, such as by a concurrent delete.
      this.logger.warn({ err: error, attachmentId: id }, 'attachment content could not be read');
      if (handler.headersSent) {
        handler.destroy?.(error);
        return;
      }
      for (const header of [
        'Content-Disposition',
        'Content-Length',
        'ETag',
        'Accept-Ranges',
        'Content-Range',
      ]) {
        response.removeHeader(header);
      }
      response.status(HttpStatus.NOT_FOUND).type(PROBLEM_CONTENT_TYPE);
      handler.send(
        JSON.stringify({
          type: 'about:blank',
          title: 'Not Found',
          status: HttpStatus.NOT_FOUND,
          detail: 'attachment not found',
          instance: `/v1/attachments/${id}`,
          requestId: (response.req as Request & { id?: string }).id ?? '',
        }),
      );
    });
  }

  @Delete('attachments/:id')
  @RequirePermission('attachments', 'delete')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete an attachment and its bytes' })
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id', attachmentIdPipe) id: string,
  ): Promise<void> {
    await this.attachments.remove(principal, id);
  }
}
