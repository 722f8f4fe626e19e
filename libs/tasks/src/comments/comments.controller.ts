import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';

import { CurrentPrincipal, type Principal, RequirePermission } from '@codexflow/access';
import {
  DEFAULT_PAGE_SIZE,
  Idempotent,
  type Page,
  PageQueryDto,
  PublicIdPipe,
} from '@codexflow/core';

import { CommentResponseDto, CreateCommentDto, toCommentResponse } from './comment.dto.js';
import { CommentsService } from './comments.service.js';

const taskIdPipe = new PublicIdPipe('tsk', 'task');
const commentIdPipe = new PublicIdPipe('cmt', 'comment');

@ApiTags('comments')
@ApiBearerAuth()
@Controller()
export class CommentsController {
  constructor(private readonly comments: CommentsService) {}

  @Post('tasks/:id/comments')
  @Idempotent()
  @RequirePermission('comments', 'create')
  @ApiOperation({
    summary: 'Comment on a task; HTML is reduced to a safe subset, usr_ mentions are kept',
  })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Param('id', taskIdPipe) taskId: string,
    @Body() body: CreateCommentDto,
  ): Promise<CommentResponseDto> {
    return toCommentResponse(await this.comments.create(principal, taskId, body.body));
  }

  @Get('tasks/:id/comments')
  @RequirePermission('comments', 'read')
  @ApiOperation({ summary: "A task's comments, oldest first" })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Param('id', taskIdPipe) taskId: string,
    @Query() query: PageQueryDto,
  ): Promise<Page<CommentResponseDto>> {
    const page = await this.comments.list(
      principal,
      taskId,
      query.limit ?? DEFAULT_PAGE_SIZE,
      query.cursor,
    );
    return { data: page.data.map(toCommentResponse), nextCursor: page.nextCursor };
  }

  @Delete('comments/:id')
  @RequirePermission('comments', 'delete')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a comment (its author, a manager, an admin)' })
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id', commentIdPipe) id: string,
  ): Promise<void> {
    await this.comments.remove(principal, id);
  }
}
