import { Controller, Get, Header, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';

import { Public } from '@codexflow/access';

import { KeyRing } from '../tokens/key-ring.js';

@ApiTags('auth')
@Controller({ path: '.well-known', version: VERSION_NEUTRAL })
export class JwksController {
  constructor(private readonly keyRing: KeyRing) {}

  @Public()
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    summary: 'Public keys that verify access and ID tokens (every key still in use)',
  })
  jwks(): ReturnType<KeyRing['jwks']> {
    return this.keyRing.jwks();
  }
}
