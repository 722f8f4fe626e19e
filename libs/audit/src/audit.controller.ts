import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';

import {
  AllowWithoutMfa,
  CurrentPrincipal,
  type Principal,
  RequirePermission,
} from '@codexflow/access';
import { DEFAULT_PAGE_SIZE, type Page, PageQueryDto } from '@codexflow/core';

import { AuditQueryDto } from './audit-query.dto.js';
import { AuditQueries, type AuditEventView } from './audit-query.service.js';
import { AuditTrail, type ChainVerification } from './audit-trail.service.js';

@ApiTags('audit')
@ApiBearerAuth()
@Controller()
export class AuditController {
  constructor(
    private readonly queries: AuditQueries,
    private readonly trail: AuditTrail,
  ) {}

  @Get('audit/events')
  @RequirePermission('audit', 'read')
  @ApiOperation({
    summary: 'Audit events, newest first, by user, action, resource, result and time',
  })
  events(@Query() query: AuditQueryDto): Promise<Page<AuditEventView>> {
    // The filters are part of the cursor's list, so a cursor cannot be replayed under other filters.
    const scope = JSON.stringify([
      query.userId,
      query.action,
      query.resource,
      query.resourceId,
      query.result,
      query.from,
      query.to,
    ]);
    return this.queries.list(query, query.limit ?? DEFAULT_PAGE_SIZE, `audit:${scope}`);
  }

  @Get('audit/verify')
  @RequirePermission('audit', 'read')
  @ApiOperation({
    summary: 'Walks the hash chain and names the first event that no longer matches',
  })
  verify(): Promise<ChainVerification> {
    return this.trail.verify();
  }

  @Get('users/me/activity')
  @AllowWithoutMfa()
  @ApiOperation({ summary: "The caller's own audit events, newest first" })
  activity(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQueryDto,
  ): Promise<Page<AuditEventView>> {
    return this.queries.list(
      { userId: principal.userId, cursor: query.cursor },
      query.limit ?? DEFAULT_PAGE_SIZE,
      `activity:${principal.userId}`,
    );
  }
}
