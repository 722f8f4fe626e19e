import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';

import { RequirePermission } from '@codexflow/access';
import { DEFAULT_PAGE_SIZE, type Page, PageQueryDto, ProblemException } from '@codexflow/core';

import { canonicalIp } from './ip-address.js';
import { type BlockedIpEntry, IpBlockList } from './ip-block-list.js';

export class BlockedIpResponseDto implements BlockedIpEntry {
  @ApiProperty({ example: '203.0.113.7' })
  ip!: string;

  @ApiProperty({ example: '51 responses of 401 within 300 s' })
  reason!: string;

  @ApiProperty()
  blockedAt!: string;

  @ApiProperty()
  expiresAt!: string;
}

/**
 * The addresses the security monitor blocked, for admins only. The permission
 * matrix has no resource for security administration, so these routes require
 * `audit:read`, which only admins hold.
 */
@ApiTags('security administration')
@ApiBearerAuth()
@Controller('admin/blocked-ips')
export class BlockedIpsController {
  constructor(private readonly blockList: IpBlockList) {}

  @Get()
  @RequirePermission('security', 'read')
  @ApiOperation({ summary: 'List the blocked client addresses with reason and expiry (admin)' })
  list(@Query() query: PageQueryDto): Promise<Page<BlockedIpResponseDto>> {
    return this.blockList.list(query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  @Delete(':ip')
  @RequirePermission('security', 'delete')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Unblock a client address (admin); 404 when it is not blocked' })
  async unblock(@Param('ip') value: string): Promise<void> {
    const ip = canonicalIp(value);
    if (ip === undefined) {
      throw new ProblemException(HttpStatus.BAD_REQUEST, 'ip must be an IPv4 or IPv6 address');
    }
    if (!(await this.blockList.unblock(ip))) {
      throw new ProblemException(HttpStatus.NOT_FOUND, 'This address is not blocked');
    }
  }
}
