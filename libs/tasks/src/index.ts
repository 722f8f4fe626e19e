export { type IsoWeek, isoWeekOf, lastIsoWeeks } from './iso-week.js';
export { TasksModule } from './tasks.module.js';
export { TasksService } from './tasks.service.js';
