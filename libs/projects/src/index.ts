export { toProjectResponse } from './project.dto.js';
export { Project } from './project.schema.js';
export { ProjectsModule } from './projects.module.js';
export { ProjectsService } from './projects.service.js';
