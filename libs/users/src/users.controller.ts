import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';

import {
  AccessPolicy,
  AllowWithoutMfa,
  CurrentPrincipal,
  type Principal,
  RequirePermission,
} from '@codexflow/access';
import {
  DEFAULT_PAGE_SIZE,
  type Page,
  PageQueryDto,
  ProblemException,
  PublicIdPipe,
} from '@codexflow/core';

import { UserAccountsService } from './user-accounts.service.js';
import {
  ChangeRoleDto,
  EraseOwnAccountDto,
  EraseUserDto,
  InviteUserDto,
  toUserResponse,
  UpdateProfileDto,
  UserResponseDto,
} from './user.dto.js';

const userIdPipe = new PublicIdPipe('usr', 'user');

/** The grants of the caller's access token. */
interface PermissionsResponse {
  userId: string;
  role: string;
  permissions: string[];
  amr: string[];
  tokenExpiresAt: string;
}

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(
    private readonly accounts: UserAccountsService,
    private readonly policy: AccessPolicy,
  ) {}

  @Get('me')
  @AllowWithoutMfa()
  @ApiOperation({ summary: 'Your profile' })
  async me(@CurrentPrincipal() principal: Principal): Promise<UserResponseDto> {
    return toUserResponse(await this.accounts.getActive(principal.userId));
  }

  /**
   * Lists what the access token allows, read from the verified token alone, so front ends can
   * shape their screens without a database read per call.
   */
  @Get('me/permissions')
  @AllowWithoutMfa()
  @ApiOperation({
    summary: 'Your role, permissions and sign-in methods, as your token grants them',
  })
  permissions(@CurrentPrincipal() principal: Principal): PermissionsResponse {
    return {
      userId: principal.userId,
      role: principal.role,
      permissions: principal.permissions,
      amr: principal.amr,
      tokenExpiresAt: principal.tokenExpiresAt.toISOString(),
    };
  }

  @Patch('me')
  @ApiOperation({ summary: 'Change your name or e-mail address (a new address is verified first)' })
  async updateMe(
    @CurrentPrincipal() principal: Principal,
    @Body() body: UpdateProfileDto,
  ): Promise<UserResponseDto> {
    return toUserResponse(await this.accounts.updateProfile(principal.userId, body));
  }

  @Get()
  @RequirePermission('users', 'read')
  @ApiOperation({ summary: 'List users (admin, manager)' })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQueryDto,
  ): Promise<Page<UserResponseDto>> {
    if (this.policy.widestScope(principal, 'users', 'read') !== 'all') {
      throw new ProblemException(HttpStatus.FORBIDDEN, 'Only admins and managers may list users');
    }
    const page = await this.accounts.list(query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
    return { data: page.data.map(toUserResponse), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @RequirePermission('users', 'read')
  @ApiOperation({ summary: 'Read a user (admin, manager, or yourself)' })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', userIdPipe) id: string,
  ): Promise<UserResponseDto> {
    if (!this.policy.can(principal, 'users', 'read', { isSelf: id === principal.userId })) {
      throw new ProblemException(HttpStatus.NOT_FOUND, 'user not found');
    }
    return toUserResponse(await this.accounts.get(id));
  }

  @Post()
  @RequirePermission('users', 'create')
  @ApiOperation({ summary: 'Invite a user with a role (admin); mails an invitation link' })
  async invite(@Body() body: InviteUserDto): Promise<UserResponseDto> {
    return toUserResponse(await this.accounts.invite(body));
  }

  @Patch(':id/role')
  @RequirePermission('users', 'update')
  @ApiOperation({
    summary: "Change a user's role (admin); live sessions get it at their next refresh",
  })
  async changeRole(
    @CurrentPrincipal() principal: Principal,
    @Param('id', userIdPipe) id: string,
    @Body() body: ChangeRoleDto,
  ): Promise<UserResponseDto> {
    return toUserResponse(await this.accounts.changeRole(principal, id, body.role, body.mfaCode));
  }

  @Delete('me')
  @AllowWithoutMfa()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Erase your own account (password, plus an MFA code when you have MFA)',
  })
  async eraseOwn(
    @CurrentPrincipal() principal: Principal,
    @Body() body: EraseOwnAccountDto,
  ): Promise<{ purgeAfter: string }> {
    const purgeAfter = await this.accounts.scheduleOwnErasure(
      principal,
      body.password,
      body.mfaCode,
    );
    return { purgeAfter: purgeAfter.toISOString() };
  }

  @Delete(':id')
  @RequirePermission('users', 'delete')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Erase a user (admin): sign-in stops at once, the purge job removes the data',
  })
  async erase(
    @CurrentPrincipal() principal: Principal,
    @Param('id', userIdPipe) id: string,
    @Body() body: EraseUserDto,
  ): Promise<{ purgeAfter: string }> {
    const purgeAfter = await this.accounts.scheduleErasure(principal, id, body.mfaCode);
    return { purgeAfter: purgeAfter.toISOString() };
  }
}
