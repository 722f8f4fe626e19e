import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { type Model } from 'mongoose';

import type { Role } from '@codexflow/access';
import { CursorCodec, isDuplicateKeyError, type Page } from '@codexflow/core';

import { User, type UserStatus } from './user.schema.js';

export interface NewUser {
  publicId: string;
  email: string;
  name: string;
  role: Role;
  status: UserStatus;
  emailVerified: boolean;
  passwordHash: string | null;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The users collection. Other modules read and change accounts only through this service. */
@Injectable()
export class UsersService {
  constructor(
    @InjectModel(User.name) private readonly users: Model<User>,
    private readonly cursors: CursorCodec,
  ) {}

  /** Inserts the user, or returns null when the e-mail address is taken. */
  async create(user: NewUser): Promise<User | null> {
    try {
      const created = await this.users.create({ ...user, email: normaliseEmail(user.email) });
      return created.toObject();
    } catch (error) {
      if (isDuplicateKeyError(error)) {
        return null;
      }
      throw error;
    }
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users
      .findOne({ email: normaliseEmail(email) })
      .lean<User>()
      .exec();
  }

  /** Accounts marked for erasure whose purge time has come. */
  findDueForPurge(now: Date): Promise<User[]> {
    return this.users
      .find({ status: 'erasing', purgeAfter: mongoose.trusted({ $lte: now }) })
      .lean<User[]>()
      .exec();
  }

  findById(publicId: string): Promise<User | null> {
    return this.users.findOne({ publicId }).lean<User>().exec();
  }

  async existsWithRole(role: Role): Promise<boolean> {
    return (await this.users.exists({ role, status: 'active' }).exec()) !== null;
  }

  /** Counts active users with `role`, leaving out `exceptUserId`. */
  countWithRole(role: Role, exceptUserId: string): Promise<number> {
    return this.users
      .countDocuments({ role, status: 'active', publicId: mongoose.trusted({ $ne: exceptUserId }) })
      .exec();
  }

  async list(limit: number, cursor?: string): Promise<Page<User>> {
    const after = cursor === undefined ? undefined : this.cursors.decodeAfter(cursor, 'users');

    // Operators written here are marked trusted, because sanitizeFilter neutralises any other.
    const filter = after === undefined ? {} : { publicId: mongoose.trusted({ $gt: after }) };
    const users = await this.users
      .find(filter)
      .sort({ publicId: 1 })
      .limit(limit + 1)
      .lean<User[]>()
      .exec();

    return this.cursors.page(users, limit, (last) => ({ after: last.publicId, list: 'users' }));
  }

  update(publicId: string, changes: Partial<User>): Promise<User | null> {
    return this.users
      .findOneAndUpdate({ publicId }, { $set: changes }, { new: true })
      .lean<User>()
      .exec();
  }

  /** Sets a new address as the login e-mail; returns null when another account took it. */
  async applyEmail(publicId: string, email: string): Promise<User | null> {
    try {
      return await this.update(publicId, {
        email: normaliseEmail(email),
        emailVerified: true,
        pendingEmail: null,
      });
    } catch (error) {
      if (isDuplicateKeyError(error)) {
        return null;
      }
      throw error;
    }
  }
}
