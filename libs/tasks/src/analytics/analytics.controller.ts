import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { CurrentPrincipal, type Principal, RequirePermission } from '@codexflow/access';
import { PublicIdPipe } from '@codexflow/core';

import { AnalyticsQueryDto, ProjectAnalyticsDto } from './analytics.dto.js';
import { AnalyticsService } from './analytics.service.js';

const projectIdPipe = new PublicIdPipe('prj', 'project');

@ApiTags('analytics')
@ApiBearerAuth()
@Controller()
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get('projects/:id/analytics')
  @RequirePermission('analytics', 'read')
  @ApiOperation({
    summary:
      "Counts of a project's tasks by status, priority, type and assignee, overdue tasks, " +
      'and tasks created and done in each of the last 12 ISO weeks (admin, manager)',
  })
  @ApiOkResponse({ type: ProjectAnalyticsDto })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', projectIdPipe) projectId: string,
    @Query() _query: AnalyticsQueryDto,
  ): Promise<ProjectAnalyticsDto> {
    return this.analytics.forProject(principal, projectId);
  }
}
