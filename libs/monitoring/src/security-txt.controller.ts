import { Controller, Get, Header, Inject, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';

import { Public } from '@codexflow/access';
import { APP_CONFIG, type AppConfig } from '@codexflow/core';

/** RFC 9116 requires an Expires value less than a year ahead, so each response computes a new one. */
const EXPIRES_AFTER_DAYS = 180;
const DAY_MS = 24 * 60 * 60 * 1000;

@ApiTags('operations')
@Public()
@Controller({ path: '.well-known', version: VERSION_NEUTRAL })
export class SecurityTxtController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get('security.txt')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=86400')
  @ApiOperation({ summary: 'Security contact (RFC 9116)' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The security.txt file' })
  securityTxt(): string {
    const expires = new Date(Date.now() + EXPIRES_AFTER_DAYS * DAY_MS);
    expires.setUTCHours(0, 0, 0, 0);
    return [
      `Contact: ${this.config.securityContact}`,
      `Expires: ${expires.toISOString()}`,
      'Preferred-Languages: en',
      '',
    ].join('\n');
  }
}
