import { Body, Controller, Get, Put, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { create as contentDisposition } from 'content-disposition';
import type { Response } from 'express';

import { CurrentPrincipal, type Principal } from '@codexflow/access';

import { ConsentDto } from './consent.dto.js';
import type { ConsentChoices } from './consent.schema.js';
import { GdprService, type PersonalDataExport } from './gdpr.service.js';

// NOTE: an export reads every section of the account, yet it has no tighter limit than the
// per-user and per-address rate limits; the mass-export detector alerts on unusual volumes.
@ApiTags('gdpr')
@ApiBearerAuth()
@Controller('users/me')
export class GdprController {
  constructor(private readonly gdpr: GdprService) {}

  @Get('data')
  @ApiOperation({ summary: 'Every personal datum held about you, by section' })
  async data(@CurrentPrincipal() principal: Principal): Promise<PersonalDataExport> {
    await this.gdpr.recordExport(principal.userId, 'view');
    return this.gdpr.exportFor(principal.userId);
  }

  @Get('data-export')
  @ApiOperation({ summary: 'The same as a downloadable UTF-8 JSON file with a schema version' })
  async download(
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) response: Response,
  ): Promise<string> {
    await this.gdpr.recordExport(principal.userId, 'download');
    const document = await this.gdpr.exportFor(principal.userId);
    const day = document.generatedAt.slice(0, 10);
    response.set({
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Disposition': contentDisposition(`codexflow-data-${principal.userId}-${day}.json`, {
        type: 'attachment',
      }),
      'Cache-Control': 'no-store',
    });
    return JSON.stringify(document, null, 2);
  }

  @Get('consent')
  @ApiOperation({ summary: 'Your current consent choices' })
  consent(@CurrentPrincipal() principal: Principal): Promise<ConsentChoices> {
    return this.gdpr.consentOf(principal.userId);
  }

  @Put('consent')
  @ApiOperation({ summary: 'Replace your consent choices; every change is kept with its time' })
  setConsent(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ConsentDto,
  ): Promise<ConsentChoices> {
    return this.gdpr.setConsent(principal.userId, body);
  }
}
