import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';

import { PersonalDataRegistry } from '@codexflow/core';

import { Project } from './project.schema.js';

/** Registers project ownership and membership for export and purge. */
@Injectable()
export class ProjectsPersonalData implements OnModuleInit {
  constructor(
    @InjectModel(Project.name) private readonly projects: Model<Project>,
    private readonly registry: PersonalDataRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'projectMemberships',
      description: 'Projects the person owns or is a member of',
      export: async (userId) =>
        (
          await this.projects
            .find({ $or: [{ ownerId: userId }, { memberIds: userId }] })
            .lean<Project[]>()
            .exec()
        ).map((project) => ({
          id: project.publicId,
          key: project.key,
          name: project.name,
          owner: project.ownerId === userId,
          member: project.memberIds.includes(userId),
        })),
      // Projects stay with their teams: the owner becomes the pseudonym, the membership ends.
      erase: async ({ userId, pseudonym }) => {
        await this.projects
          .updateMany({ memberIds: userId }, { $pull: { memberIds: userId } })
          .exec();
        await this.projects
          .updateMany({ ownerId: userId }, { $set: { ownerId: pseudonym } })
          .exec();
      },
    });
  }
}
