import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
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

import {
  AddMemberDto,
  CreateProjectDto,
  ProjectResponseDto,
  toProjectResponse,
  UpdateProjectDto,
} from './project.dto.js';
import { ProjectsService } from './projects.service.js';

const projectIdPipe = new PublicIdPipe('prj', 'project');
const memberIdPipe = new PublicIdPipe('usr', 'member');

@ApiTags('projects')
@ApiBearerAuth()
@Controller('projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Post()
  @Idempotent()
  @RequirePermission('projects', 'create')
  @ApiOperation({ summary: 'Create a project (admin, manager); the key must be unique' })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateProjectDto,
  ): Promise<ProjectResponseDto> {
    return toProjectResponse(await this.projects.create(principal, body));
  }

  @Get()
  @RequirePermission('projects', 'read')
  @ApiOperation({ summary: "The caller's projects (admin and manager: all)" })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQueryDto,
  ): Promise<Page<ProjectResponseDto>> {
    const page = await this.projects.list(
      principal,
      query.limit ?? DEFAULT_PAGE_SIZE,
      query.cursor,
    );
    return { data: page.data.map(toProjectResponse), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @RequirePermission('projects', 'read')
  @ApiOperation({ summary: 'Read a project (members, admin, manager)' })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', projectIdPipe) id: string,
  ): Promise<ProjectResponseDto> {
    return toProjectResponse(await this.projects.getReadable(principal, id));
  }

  @Patch(':id')
  @RequirePermission('projects', 'update')
  @ApiOperation({ summary: 'Change the name or description (admin, manager)' })
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', projectIdPipe) id: string,
    @Body() body: UpdateProjectDto,
  ): Promise<ProjectResponseDto> {
    return toProjectResponse(await this.projects.update(principal, id, body));
  }

  @Delete(':id')
  @RequirePermission('projects', 'delete')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Archive a project (admin); archived projects reject writes with 409' })
  async archive(
    @CurrentPrincipal() principal: Principal,
    @Param('id', projectIdPipe) id: string,
  ): Promise<void> {
    await this.projects.archive(principal, id);
  }

  @Post(':id/members')
  @Idempotent()
  @RequirePermission('projects', 'update')
  @ApiOperation({ summary: 'Add a member (admin, manager); 409 when already a member' })
  async addMember(
    @CurrentPrincipal() principal: Principal,
    @Param('id', projectIdPipe) id: string,
    @Body() body: AddMemberDto,
  ): Promise<ProjectResponseDto> {
    return toProjectResponse(await this.projects.addMember(principal, id, body.userId));
  }

  @Delete(':id/members/:userId')
  @RequirePermission('projects', 'update')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Remove a member (admin, manager)' })
  async removeMember(
    @CurrentPrincipal() principal: Principal,
    @Param('id', projectIdPipe) id: string,
    @Param('userId', memberIdPipe) userId: string,
  ): Promise<void> {
    await this.projects.removeMember(principal, id, userId);
  }
}
