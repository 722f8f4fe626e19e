import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';

import { UsersModule } from '@codexflow/users';

import { Consent, ConsentSchema } from './consent.schema.js';
import { GdprController } from './gdpr.controller.js';
import { GdprService } from './gdpr.service.js';

@Module({
  imports: [
    UsersModule,
    MongooseModule.forFeature([{ name: Consent.name, schema: ConsentSchema }]),
  ],
  controllers: [GdprController],
  providers: [GdprService],
  exports: [GdprService],
})
export class GdprModule {}
