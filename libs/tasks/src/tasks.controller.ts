import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

import { CurrentPrincipal, type Principal, RequirePermission } from '@codexflow/access';
import {
  DEFAULT_PAGE_SIZE,
  Idempotent,
  type Page,
  PageQueryDto,
  PublicIdPipe,
} from '@codexflow/core';

import {
  CreateTaskDto,
  ListTasksQueryDto,
  TaskResponseDto,
  toTaskResponse,
  UpdateTaskDto,
} from './task.dto.js';
import type { TaskActivity } from './task.schema.js';
import { etagOf, TasksService } from './tasks.service.js';

const projectIdPipe = new PublicIdPipe('prj', 'project');
const taskIdPipe = new PublicIdPipe('tsk', 'task');

interface ActivityEntry {
  actor: string;
  at: string;
  field: string;
  from: string | null;
  to: string | null;
}

function toActivity(entry: TaskActivity): ActivityEntry {
  return {
    actor: entry.actor,
    at: entry.at.toISOString(),
    field: entry.field,
    from: entry.from,
    to: entry.to,
  };
}

@ApiTags('tasks')
@ApiBearerAuth()
@Controller()
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Post('projects/:id/tasks')
  @Idempotent()
  @RequirePermission('tasks', 'create')
  @ApiOperation({ summary: 'Create a task in a project you are a member of' })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Param('id', projectIdPipe) projectId: string,
    @Body() body: CreateTaskDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<TaskResponseDto> {
    const task = await this.tasks.create(principal, projectId, body);
    response.setHeader('ETag', etagOf(task));
    return toTaskResponse(task);
  }

  @Get('projects/:id/tasks')
  @RequirePermission('tasks', 'read')
  @ApiOperation({ summary: "List a project's tasks with filters, sort and cursor pagination" })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Param('id', projectIdPipe) projectId: string,
    @Query() query: ListTasksQueryDto,
  ): Promise<Page<TaskResponseDto>> {
    const page = await this.tasks.list(
      principal,
      projectId,
      query,
      query.limit ?? DEFAULT_PAGE_SIZE,
    );
    return { data: page.data.map(toTaskResponse), nextCursor: page.nextCursor };
  }

  @Get('tasks/:id')
  @RequirePermission('tasks', 'read')
  @ApiOperation({ summary: 'Read a task; the ETag header serves If-Match on updates' })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', taskIdPipe) id: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<TaskResponseDto> {
    const { task } = await this.tasks.getReadable(principal, id);
    response.setHeader('ETag', etagOf(task));
    return toTaskResponse(task);
  }

  @Get('tasks/:id/activity')
  @RequirePermission('tasks', 'read')
  @ApiOperation({ summary: 'Field changes of a task, newest first' })
  async activity(
    @CurrentPrincipal() principal: Principal,
    @Param('id', taskIdPipe) id: string,
    @Query() query: PageQueryDto,
  ): Promise<Page<ActivityEntry>> {
    const page = await this.tasks.listActivity(
      principal,
      id,
      query.limit ?? DEFAULT_PAGE_SIZE,
      query.cursor,
    );
    return { data: page.data.map(toActivity), nextCursor: page.nextCursor };
  }

  @Patch('tasks/:id')
  @RequirePermission('tasks', 'update')
  @ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'ETag from the last read; 412 when stale',
  })
  @ApiOperation({
    summary: 'Change a task (own tasks; managers in their projects; admins everywhere)',
  })
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', taskIdPipe) id: string,
    @Body() body: UpdateTaskDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<TaskResponseDto> {
    const task = await this.tasks.update(principal, id, body, ifMatch);
    response.setHeader('ETag', etagOf(task));
    return toTaskResponse(task);
  }

  @Delete('tasks/:id')
  @RequirePermission('tasks', 'delete')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a task (its creator, or an admin)' })
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id', taskIdPipe) id: string,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    await this.tasks.remove(principal, id, ifMatch);
  }
}
