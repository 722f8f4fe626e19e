import { Controller, Delete, Get, HttpCode, HttpStatus, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';

import { AllowWithoutMfa, CurrentPrincipal, type Principal } from '@codexflow/access';
import { ExemptFromUserQuota, type Page, ProblemException, PublicIdPipe } from '@codexflow/core';

import { SessionResponseDto } from '../flows/auth.dto.js';
import { SessionsService } from '../sessions/sessions.service.js';

@ApiTags('auth')
@ApiBearerAuth()
@AllowWithoutMfa()
@ExemptFromUserQuota()
@Controller('auth/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOperation({ summary: 'Your live sessions, most recently used first' })
  async list(@CurrentPrincipal() principal: Principal): Promise<Page<SessionResponseDto>> {
    const sessions = await this.sessions.listLive(principal.userId);
    const data = sessions.map((session) => ({
      id: session.publicId,
      createdAt: session.createdAt.toISOString(),
      lastUsedAt: session.lastUsedAt.toISOString(),
      ipAddress: session.ipAddress,
      userAgent: session.userAgent,
      current: session.publicId === principal.sessionId,
    }));
    return { data, nextCursor: null };
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End one of your sessions' })
  async revoke(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new PublicIdPipe('ses', 'session')) id: string,
  ): Promise<void> {
    const session = await this.sessions.findLive(id);
    if (session?.userId !== principal.userId) {
      throw new ProblemException(HttpStatus.NOT_FOUND, 'session not found');
    }
    await this.sessions.revoke(id, 'ended-by-user');
  }
}
