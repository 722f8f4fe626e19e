import { Global, Module } from '@nestjs/common';

import { AccessPolicy } from './access-policy.js';
import { PermissionGuard } from './permission.guard.js';

@Global()
@Module({
  providers: [AccessPolicy, PermissionGuard],
  exports: [AccessPolicy, PermissionGuard],
})
export class AccessModule {}
