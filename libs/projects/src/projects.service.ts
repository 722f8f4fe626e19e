import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { type Model } from 'mongoose';

import { AccessPolicy, type Principal } from '@codexflow/access';
import {
  CursorCodec,
  generatePublicId,
  isDuplicateKeyError,
  type Page,
  ProblemException,
} from '@codexflow/core';
import { UsersService } from '@codexflow/users';

import type { CreateProjectDto, UpdateProjectDto } from './project.dto.js';
import { Project } from './project.schema.js';

function notFound(): ProblemException {
  return new ProblemException(HttpStatus.NOT_FOUND, 'project not found');
}

/** Projects and their members. Reads outside the caller's reach return 404, not 403. */
@Injectable()
export class ProjectsService {
  constructor(
    @InjectModel(Project.name) private readonly projects: Model<Project>,
    private readonly policy: AccessPolicy,
    private readonly cursors: CursorCodec,
    private readonly users: UsersService,
  ) {}

  async create(actor: Principal, input: CreateProjectDto): Promise<Project> {
    try {
      const created = await this.projects.create({
        publicId: generatePublicId('prj'),
        key: input.key,
        name: input.name,
        description: input.description ?? '',
        ownerId: actor.userId,
        memberIds: [actor.userId],
      });
      return created.toObject();
    } catch (error) {
      if (isDuplicateKeyError(error)) {
        throw new ProblemException(
          HttpStatus.CONFLICT,
          `A project with key ${input.key} already exists`,
        );
      }
      throw error;
    }
  }

  /** Lists the projects the caller may read: all of them with scope `all`, else their own. */
  async list(actor: Principal, limit: number, cursor?: string): Promise<Page<Project>> {
    const after = cursor === undefined ? undefined : this.cursors.decodeAfter(cursor, 'projects');

    const filter: Record<string, unknown> = {};
    if (this.policy.widestScope(actor, 'projects', 'read') !== 'all') {
      filter.memberIds = actor.userId;
    }
    if (after !== undefined) {
      filter.publicId = mongoose.trusted({ $gt: after });
    }

    const rows = await this.projects
      .find(filter)
      .sort({ publicId: 1 })
      .limit(limit + 1)
      .lean<Project[]>()
      .exec();
    return this.cursors.page(rows, limit, (last) => ({ after: last.publicId, list: 'projects' }));
  }

  /** Loads a project the caller may read, or throws 404. */
  async getReadable(actor: Principal, projectId: string): Promise<Project> {
    const project = await this.projects.findOne({ publicId: projectId }).lean<Project>().exec();
    if (project === null) {
      throw notFound();
    }
    const isTeam = project.memberIds.includes(actor.userId);
    if (
      !this.policy.can(actor, 'projects', 'read', {
        isTeam,
        isOwn: project.ownerId === actor.userId,
      })
    ) {
      throw notFound();
    }
    return project;
  }

  async update(actor: Principal, projectId: string, changes: UpdateProjectDto): Promise<Project> {
    const project = await this.getWritable(actor, projectId, 'update');
    const updated = await this.projects
      .findOneAndUpdate({ publicId: project.publicId }, { $set: changes }, { new: true })
      .lean<Project>()
      .exec();
    return updated ?? project;
  }

  /** Archives the project; archived projects reject every later write with 409. */
  async archive(actor: Principal, projectId: string): Promise<void> {
    const project = await this.getWritable(actor, projectId, 'delete');
    await this.projects
      .updateOne({ publicId: project.publicId }, { $set: { archived: true } })
      .exec();
  }

  async addMember(actor: Principal, projectId: string, userId: string): Promise<Project> {
    const project = await this.getWritable(actor, projectId, 'update');
    const user = await this.users.findById(userId);
    if (user?.status !== 'active') {
      throw new ProblemException(
        HttpStatus.BAD_REQUEST,
        'userId is not an active user',
        'about:blank',
        [{ field: 'userId', message: 'userId is not an active user' }],
      );
    }
    if (project.memberIds.includes(userId)) {
      throw new ProblemException(HttpStatus.CONFLICT, 'The user is already a member');
    }

    await this.projects
      .updateOne({ publicId: project.publicId }, { $addToSet: { memberIds: userId } })
      .exec();
    return { ...project, memberIds: [...project.memberIds, userId] };
  }

  async removeMember(actor: Principal, projectId: string, userId: string): Promise<void> {
    const project = await this.getWritable(actor, projectId, 'update');
    if (!project.memberIds.includes(userId)) {
      throw new ProblemException(HttpStatus.NOT_FOUND, 'member not found');
    }
    await this.projects
      .updateOne({ publicId: project.publicId }, { $pull: { memberIds: userId } })
      .exec();
  }

  /** Tells whether the user is a member of the project, for modules that scope by team. */
  async isMember(projectId: string, userId: string): Promise<boolean> {
    return (await this.projects.exists({ publicId: projectId, memberIds: userId }).exec()) !== null;
  }

  private async getWritable(
    actor: Principal,
    projectId: string,
    action: 'update' | 'delete',
  ): Promise<Project> {
    const project = await this.getReadable(actor, projectId);
    const isTeam = project.memberIds.includes(actor.userId);
    if (
      !this.policy.can(actor, 'projects', action, {
        isTeam,
        isOwn: project.ownerId === actor.userId,
      })
    ) {
      throw new ProblemException(
        HttpStatus.FORBIDDEN,
        `Your role does not allow ${action} on this project`,
      );
    }
    if (project.archived) {
      throw new ProblemException(HttpStatus.CONFLICT, 'The project is archived');
    }
    return project;
  }
}
