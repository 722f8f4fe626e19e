import { type DynamicModule, Global, Module } from '@nestjs/common';

import type { AppConfig } from '@codexflow/core';

import type { MailRetryOptions } from './mail-retry.js';
import { MailService } from './mail.service.js';
import { OutboxPersonalData } from './outbox-personal-data.js';
import { SmsService } from './sms.service.js';

/**
 * Provides MailService and SmsService to every module. `options` overrides the retry defaults of
 * both, for tests.
 */
@Global()
@Module({})
export class MailModule {
  static forRoot(config: AppConfig, options?: MailRetryOptions): DynamicModule {
    return {
      module: MailModule,
      providers: [
        { provide: MailService, useFactory: () => new MailService(config, options) },
        { provide: SmsService, useFactory: () => new SmsService(config, options) },
        OutboxPersonalData,
      ],
      exports: [MailService, SmsService],
    };
  }
}
