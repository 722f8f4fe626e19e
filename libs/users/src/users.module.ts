import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';

import { UserAccountsService } from './user-accounts.service.js';
import { User, UserSchema } from './user.schema.js';
import { UsersController } from './users.controller.js';
import { UsersPersonalData } from './users-personal-data.js';
import { UsersService } from './users.service.js';

/**
 * Accounts and profiles. AccountLifecycle, which the routes need for sessions
 * and mail, is provided globally by the auth module.
 */
@Module({
  imports: [MongooseModule.forFeature([{ name: User.name, schema: UserSchema }])],
  controllers: [UsersController],
  providers: [UsersService, UserAccountsService, UsersPersonalData],
  exports: [UsersService],
})
export class UsersModule {}
