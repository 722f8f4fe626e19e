import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';

import { UsersModule } from '@codexflow/users';

import { Project, ProjectSchema } from './project.schema.js';
import { ProjectsController } from './projects.controller.js';
import { ProjectsPersonalData } from './projects-personal-data.js';
import { ProjectsService } from './projects.service.js';

@Module({
  imports: [
    UsersModule,
    MongooseModule.forFeature([{ name: Project.name, schema: ProjectSchema }]),
  ],
  controllers: [ProjectsController],
  providers: [ProjectsService, ProjectsPersonalData],
  exports: [ProjectsService],
})
export class ProjectsModule {}
