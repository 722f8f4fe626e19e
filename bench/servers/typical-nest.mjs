// A "typical NestJS setup" for the list, as many services write it: the
// Express platform, a guard that calls JwtService.verify on every request,
// mongoose models returning hydrated documents, and no caching. Plain
// JavaScript without decorator syntax, so Nest's decorators are applied by
// calling them, which is what the TypeScript compiler would emit.
import 'reflect-metadata';

import {
  BadRequestException,
  Controller,
  DefaultValuePipe,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Module,
  NotFoundException,
  Param,
  ParseIntPipe,
  Query,
  Req,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JwtModule, JwtService } from '@nestjs/jwt';
import { getModelToken, MongooseModule } from '@nestjs/mongoose';
import mongoose from 'mongoose';

import { createCursorSigner, LIST_SORT, mayReadProject, toPage } from './shared.mjs';

const { Schema } = mongoose;

const taskSchema = new Schema(
  {
    publicId: String,
    projectId: String,
    number: Number,
    key: String,
    title: String,
    description: { type: String, default: '' },
    priority: String,
    priorityRank: Number,
    status: String,
    type: String,
    assigneeId: { type: String, default: null },
    dueDate: { type: Date, default: null },
    labels: [String],
    createdBy: String,
    version: Number,
    createdWeek: String,
    doneAt: { type: Date, default: null },
    doneWeek: { type: String, default: null },
  },
  { collection: 'tasks', timestamps: true, versionKey: false },
);

const projectSchema = new Schema(
  { publicId: String, key: String, name: String, ownerId: String, memberIds: [String], archived: Boolean },
  { collection: 'projects', timestamps: true, versionKey: false },
);

function decorateMethod(target, name, ...decorators) {
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, name);
  for (const decorator of decorators) {
    decorator(target.prototype, name, descriptor);
  }
}

class JwtGuard {
  constructor(jwt) {
    this.jwt = jwt;
  }

  canActivate(context) {
    const request = context.switchToHttp().getRequest();
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined) {
      throw new UnauthorizedException();
    }
    try {
      request.user = this.jwt.verify(token);
    } catch {
      throw new UnauthorizedException();
    }
    return true;
  }
}
Injectable()(JwtGuard);
Inject(JwtService)(JwtGuard, undefined, 0);

const signCursor = createCursorSigner(process.env.BENCH_ENCRYPTION_KEYS);

class TasksController {
  constructor(tasks, projects) {
    this.tasks = tasks;
    this.projects = projects;
  }

  async list(projectId, limit, request) {
    if (limit < 1 || limit > 100) {
      throw new BadRequestException('limit must be between 1 and 100');
    }
    const project = await this.projects.findOne({ publicId: projectId }).exec();
    if (project === null || !mayReadProject(request.user, project)) {
      throw new NotFoundException();
    }
    const rows = await this.tasks
      .find({ projectId })
      .sort(LIST_SORT)
      .limit(limit + 1)
      .exec();
    return toPage(rows, limit, projectId, signCursor);
  }
}
Controller('v1')(TasksController);
UseGuards(JwtGuard)(TasksController);
Inject(getModelToken('Task'))(TasksController, undefined, 0);
Inject(getModelToken('Project'))(TasksController, undefined, 1);
decorateMethod(TasksController, 'list', Get('projects/:id/tasks'));
Param('id')(TasksController.prototype, 'list', 0);
Query('limit', new DefaultValuePipe(20), ParseIntPipe)(TasksController.prototype, 'list', 1);
Req()(TasksController.prototype, 'list', 2);

class ReadyController {
  ready() {}
}
Controller()(ReadyController);
decorateMethod(ReadyController, 'ready', Get('ready'), HttpCode(204));

class TypicalAppModule {}
Module({
  imports: [
    MongooseModule.forRoot(process.env.BENCH_MONGODB_URI),
    MongooseModule.forFeature([
      { name: 'Task', schema: taskSchema },
      { name: 'Project', schema: projectSchema },
    ]),
    JwtModule.register({
      publicKey: process.env.BENCH_PUBLIC_KEY_PEM,
      verifyOptions: {
        algorithms: ['RS256'],
        issuer: process.env.BENCH_JWT_ISSUER,
        audience: process.env.BENCH_JWT_AUDIENCE,
      },
    }),
  ],
  controllers: [TasksController, ReadyController],
  providers: [JwtGuard],
})(TypicalAppModule);

const app = await NestFactory.create(TypicalAppModule, { logger: ['error', 'warn'] });
app.enableShutdownHooks();
await app.listen(Number(process.env.BENCH_PORT), '127.0.0.1');
