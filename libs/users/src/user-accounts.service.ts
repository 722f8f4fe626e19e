import { HttpStatus, Inject, Injectable } from '@nestjs/common';

import type { Principal, Role } from '@codexflow/access';
import {
  APP_CONFIG,
  type AppConfig,
  generatePublicId,
  type Page,
  ProblemException,
  AuditRecorder,
} from '@codexflow/core';

import { AccountLifecycle } from './account-lifecycle.js';
import type { InviteUserDto, UpdateProfileDto } from './user.dto.js';
import type { User } from './user.schema.js';
import { normaliseEmail, UsersService } from './users.service.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Account operations behind the /v1/users routes, built on UsersService. */
@Injectable()
export class UserAccountsService {
  constructor(
    private readonly users: UsersService,
    private readonly lifecycle: AccountLifecycle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditRecorder,
  ) {}

  async get(userId: string): Promise<User> {
    const user = await this.users.findById(userId);
    if (user === null) {
      throw new ProblemException(HttpStatus.NOT_FOUND, 'user not found');
    }
    return user;
  }

  /** Returns the caller's account; a token of an account that no longer signs in is rejected. */
  async getActive(userId: string): Promise<User> {
    const user = await this.users.findById(userId);
    if (user?.status !== 'active') {
      throw new ProblemException(HttpStatus.UNAUTHORIZED, 'The account is no longer active');
    }
    return user;
  }

  list(limit: number, cursor?: string): Promise<Page<User>> {
    return this.users.list(limit, cursor);
  }

  async updateProfile(userId: string, changes: UpdateProfileDto): Promise<User> {
    let user = await this.getActive(userId);

    if (changes.name !== undefined && changes.name !== user.name) {
      user = (await this.users.update(userId, { name: changes.name })) ?? user;
    }
    if (changes.email !== undefined && normaliseEmail(changes.email) !== user.email) {
      const pendingEmail = normaliseEmail(changes.email);
      user = (await this.users.update(userId, { pendingEmail })) ?? user;
      await this.lifecycle.startEmailChange(user, pendingEmail);
    }
    return user;
  }

  async invite(invitation: InviteUserDto): Promise<User> {
    const user = await this.users.create({
      publicId: generatePublicId('usr'),
      email: invitation.email,
      name: invitation.name,
      role: invitation.role,
      status: 'invited',
      emailVerified: false,
      passwordHash: null,
    });
    if (user === null) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        'A user with this e-mail address already exists',
      );
    }

    await this.lifecycle.sendInvitation(user);
    return user;
  }

  async changeRole(actor: Principal, userId: string, role: Role, mfaCode?: string): Promise<User> {
    await this.assertStillAdmin(actor);
    await this.lifecycle.requireStepUp(actor, mfaCode);
    const user = await this.get(userId);
    if (user.status === 'erasing') {
      throw new ProblemException(HttpStatus.CONFLICT, 'The account is being erased');
    }
    if (user.role === 'admin' && role !== 'admin' && !(await this.hasAnotherAdmin(userId))) {
      throw new ProblemException(HttpStatus.CONFLICT, 'The last admin cannot lose the admin role');
    }

    // Recorded before the change, so a role never changes unrecorded (503 when the trail is down).
    await this.audit.record(
      {
        action: 'users.role_change',
        resource: 'users',
        resourceId: userId,
        result: 'success',
        details: { from: user.role, to: role },
      },
      { required: true },
    );
    const updated = await this.users.update(userId, { role });
    if (updated === null) {
      throw new ProblemException(HttpStatus.NOT_FOUND, 'user not found');
    }
    return updated;
  }

  /** Stops sign-in at once and schedules the purge; returns when the purge may run. */
  async scheduleErasure(actor: Principal, userId: string, mfaCode?: string): Promise<Date> {
    await this.assertStillAdmin(actor);
    await this.lifecycle.requireStepUp(actor, mfaCode);
    if (actor.userId === userId) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        'Use DELETE /v1/users/me to erase your own account',
      );
    }
    const user = await this.get(userId);
    if (user.status === 'erasing' && user.purgeAfter !== null) {
      return user.purgeAfter;
    }
    if (user.role === 'admin' && !(await this.hasAnotherAdmin(userId))) {
      throw new ProblemException(HttpStatus.CONFLICT, 'The last admin cannot be erased');
    }

    return this.markForErasure(userId);
  }

  /** Stops sign-in, schedules the purge and ends every session, recorded before it happens. */
  private async markForErasure(userId: string): Promise<Date> {
    const purgeAfter = new Date(Date.now() + this.config.erasureGraceDays * DAY_MS);
    await this.audit.record(
      {
        action: 'users.erasure_requested',
        resource: 'users',
        resourceId: userId,
        result: 'success',
        details: { purgeAfter: purgeAfter.toISOString() },
      },
      { required: true },
    );
    await this.users.update(userId, { status: 'erasing', purgeAfter });
    await this.lifecycle.revokeSessions(userId);
    return purgeAfter;
  }

  /**
   * Erases the caller's own account after checking the password and, with
   * MFA, a fresh code: both wrong or missing give 403 and change nothing.
   */
  async scheduleOwnErasure(actor: Principal, password?: string, mfaCode?: string): Promise<Date> {
    if (password === undefined || !(await this.lifecycle.verifyPassword(actor.userId, password))) {
      throw new ProblemException(HttpStatus.FORBIDDEN, 'The password is missing or incorrect');
    }
    await this.lifecycle.requireStepUp(actor, mfaCode);
    const user = await this.get(actor.userId);
    if (user.role === 'admin' && !(await this.hasAnotherAdmin(user.publicId))) {
      throw new ProblemException(HttpStatus.CONFLICT, 'The last admin cannot be erased');
    }
    return this.markForErasure(user.publicId);
  }

  /**
   * Re-reads the acting admin's role: an access token keeps its role until it
   * expires, but a demoted admin must not make admin changes meanwhile.
   */
  private async assertStillAdmin(actor: Principal): Promise<void> {
    const current = await this.users.findById(actor.userId);
    if (current?.status !== 'active' || current.role !== 'admin') {
      throw new ProblemException(HttpStatus.FORBIDDEN, 'Your account is no longer an admin');
    }
  }

  private async hasAnotherAdmin(userId: string): Promise<boolean> {
    const admins = await this.users.countWithRole('admin', userId);
    return admins > 0;
  }
}
