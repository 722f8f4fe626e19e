import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';

import { Optional } from '@codexflow/core';

import type { ConsentChoices } from './consent.schema.js';

/** PUT /v1/users/me/consent: the full set of choices; a purpose left out means no consent. */
export class ConsentDto implements Partial<ConsentChoices> {
  @ApiProperty({ required: false, default: false })
  @Optional()
  @IsBoolean({ message: 'analytics must be true or false' })
  analytics?: boolean;

  @ApiProperty({ required: false, default: false })
  @Optional()
  @IsBoolean({ message: 'marketing must be true or false' })
  marketing?: boolean;

  @ApiProperty({ required: false, default: false })
  @Optional()
  @IsBoolean({ message: 'productUpdates must be true or false' })
  productUpdates?: boolean;
}
